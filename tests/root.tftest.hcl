# Root-level behaviour with a mocked AWS provider: naming, tagging and input validation.
# The offline stand-in of hashicorp/aws, not a mock: Terraform 1.15's mock providers cannot
# validate ephemeral resources (modules/elasticache generates the Redis AUTH token with them).
# The stand-in answers caller identity, partition and us-west-1's zones deterministically.
provider "aws" {
  region = "us-west-1"
}

variables {
  environment = "qa"
}

run "names_follow_the_convention" {
  command = plan

  assert {
    condition     = local.name_prefix == "qa-carcierge"
    error_message = "name prefix must be <environment>-<project>"
  }

  assert {
    condition     = aws_kms_alias.main.name == "alias/qa-carcierge-main"
    error_message = "KMS alias must be alias/<env>-carcierge-main"
  }

  assert {
    condition     = aws_kms_key.main.enable_key_rotation && aws_kms_key.main.tags["Name"] == "qa-carcierge-kms-main"
    error_message = "the environment key rotates and is named <env>-carcierge-kms-main"
  }

  assert {
    condition     = local.common_tags == { Environment = "qa", Project = "carcierge", ManagedBy = "terraform" }
    error_message = "default tags must carry Environment, Project and ManagedBy"
  }
}

run "unknown_environment_is_rejected" {
  command = plan

  variables {
    environment = "dev"
  }

  expect_failures = [var.environment]
}

run "project_name_must_fit_aws_name_limits" {
  command = plan

  variables {
    project_name = "Carcierge-Platform-Long"
  }

  expect_failures = [var.project_name]
}
