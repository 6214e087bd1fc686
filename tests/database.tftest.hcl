# Database access of the services, with the instance's after-apply values fixed so that the
# task definitions and policies are complete: each task role may connect as its own database
# role only, and no container or execution role sees the RDS master secret.
provider "aws" {
  region = "us-west-1"
}

variables {
  environment = "qa"
}

override_resource {
  target          = module.rds.aws_db_instance.this
  override_during = plan
  values = {
    arn         = "arn:aws:rds:us-west-1:123456789012:db:qa-carcierge-rds-postgres"
    resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
    address     = "qa-carcierge-rds-postgres.abcdefghijkl.us-west-1.rds.amazonaws.com"
    master_user_secret = [{
      kms_key_id    = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      secret_arn    = "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-master-AbCdEf"
      secret_status = "active"
    }]
  }
}

override_resource {
  target          = module.elasticache.aws_secretsmanager_secret.user
  override_during = plan
  values = {
    arn = "arn:aws:secretsmanager:us-west-1:123456789012:secret:qa-carcierge-redis-service-AbCdEf"
  }
}

run "each_service_connects_as_its_own_role" {
  command = plan

  assert {
    condition = alltrue([for key in keys(var.services) : jsondecode(aws_iam_role_policy.database_connect[key].policy).Statement == [{
      Sid      = "RdsIamConnectAsOwnRole"
      Effect   = "Allow"
      Action   = "rds-db:connect"
      Resource = "arn:aws:rds-db:us-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/svc_${key}"
    }]])
    error_message = "each task role may rds-db:connect as dbuser:<resource id>/svc_<key> and nothing else"
  }

  assert {
    condition     = alltrue([for key in keys(var.services) : aws_iam_role_policy.database_connect[key].role == "qa-carcierge-${key}-task"])
    error_message = "the connect policy sits on the service's own task role"
  }

  assert {
    condition = alltrue([for key in keys(var.services) :
      output.service_container_settings[key].environment.DB_USERNAME == "svc_${key}" &&
      output.service_container_settings[key].environment.DB_IAM_AUTH == "true" &&
      output.service_container_settings[key].environment.DB_HOST == "qa-carcierge-rds-postgres.abcdefghijkl.us-west-1.rds.amazonaws.com"
    ])
    error_message = "every container gets DB_USERNAME (its own role), DB_IAM_AUTH = true and the instance's host"
  }

  assert {
    condition = alltrue([for key in keys(var.services) :
      alltrue([for name, reference in output.service_container_settings[key].secrets : !strcontains(reference, "rds!db-master")]) &&
      length(setintersection(keys(output.service_container_settings[key].secrets), ["DB_USERNAME", "DB_PASSWORD"])) == 0
    ])
    error_message = "no container secret references the RDS master secret"
  }

  assert {
    condition     = alltrue([for arn in output.data_store_secret_arns : !strcontains(arn, "rds!db-master")])
    error_message = "the execution role may not read the RDS master secret (it reads exactly data_store_secret_arns)"
  }

  assert {
    condition     = output.rds_master_user_secret_arn == "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-master-AbCdEf"
    error_message = "the master secret stays, for break-glass use"
  }
}
