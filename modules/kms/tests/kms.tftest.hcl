# The key rotates, is named <name_prefix>-kms-<name>, keeps its deletion window and grants the
# AWS services the caller names, each scoped to this environment.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

variables {
  name_prefix             = "qa-carcierge"
  name                    = "main"
  description             = "qa-carcierge-kms-main: encryption at rest for the qa environment"
  deletion_window_in_days = 7
}

run "administered_by_the_account_only_by_default" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.rotation_period_in_days == 365
    error_message = "the key rotates yearly"
  }

  assert {
    condition     = aws_kms_key.this.tags["Name"] == "qa-carcierge-kms-main" && aws_kms_alias.this.name == "alias/qa-carcierge-main"
    error_message = "the key is <name_prefix>-kms-<name>, its alias alias/<name_prefix>-<name>"
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.this.policy).Statement : s.Sid] == ["AccountAdministration"]
    error_message = "without services named, only the account administers the key"
  }
}

run "logs_and_alarms_of_this_environment" {
  command = plan

  variables {
    cloudwatch_log_groups = ["/ecs/qa-carcierge-*"]
    cloudwatch_alarms     = true
  }

  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[1].Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] == ["arn:aws:logs:us-west-1:123456789012:log-group:/ecs/qa-carcierge-*"]
    error_message = "CloudWatch Logs may use the key for the named log groups only"
  }

  assert {
    condition     = jsondecode(aws_kms_key.this.policy).Statement[2].Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:us-west-1:123456789012:alarm:qa-carcierge-*" && jsondecode(aws_kms_key.this.policy).Statement[2].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "only this account's and this environment's alarms may use the key"
  }
}

run "in_another_region" {
  command = plan

  variables {
    name   = "backup"
    region = "us-west-2"
  }

  assert {
    condition     = aws_kms_key.this.region == "us-west-2" && aws_kms_alias.this.region == "us-west-2"
    error_message = "the backup key lives in the region it is for"
  }
}

run "deletion_window_outside_kms_range_is_rejected" {
  command = plan

  variables {
    deletion_window_in_days = 31
  }

  expect_failures = [var.deletion_window_in_days]
}
