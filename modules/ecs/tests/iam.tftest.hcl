# IAM: the execution role reads exactly the listed secrets; task roles carry ECS Exec and the
# statements asked for, never the action "*"; "*" resources only where IAM offers no scoping.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}


run "execution_role_reads_only_listed_secrets" {
  command = plan

  variables {
    shared_secrets = {
      DB_PASSWORD = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf:password::"
      DB_USER     = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf:username::"
    }
    services = {
      api = {
        container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge/api:1.0.0"
        container_port  = 8080
        desired_count   = 1
        cpu             = 256
        memory          = 512
        secrets         = { API_KEY = "arn:aws:secretsmanager:us-west-1:123456789012:secret:api-key-Zx12Yw" }
      }
      web = {
        container_image = "nginx:1.27"
        container_port  = 8080
        desired_count   = 1
        cpu             = 256
        memory          = 512
      }
    }
  }

  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.execution_secrets[0].policy).Statement : statement.Resource if statement.Sid == "ReadListedSecrets"])) == toset([
      "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf",
      "arn:aws:secretsmanager:us-west-1:123456789012:secret:api-key-Zx12Yw",
    ])
    error_message = "the execution role may read exactly the listed secrets (JSON key suffixes stripped)"
  }

  assert {
    condition = length([for statement in jsondecode(aws_iam_role_policy.execution_secrets[0].policy).Statement : statement
      if contains(flatten([statement.Action]), "secretsmanager:GetSecretValue")
      ]) == 1 && alltrue([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      !contains(flatten([statement.Action]), "secretsmanager:GetSecretValue")
    ])
    error_message = "no other statement grants secretsmanager:GetSecretValue"
  }

  assert {
    condition = anytrue([for statement in jsondecode(aws_iam_role_policy.execution_secrets[0].policy).Statement :
      statement.Action == "kms:Decrypt" && statement.Resource == var.kms_key_arn &&
      statement.Condition == { StringEquals = { "kms:ViaService" = "secretsmanager.us-west-1.amazonaws.com" } }
    ])
    error_message = "the execution role may decrypt with the environment key, through Secrets Manager only"
  }

  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement : statement.Resource if statement.Sid == "EcrPullServiceImages"])) == toset([
      "arn:aws:ecr:us-west-1:123456789012:repository/carcierge/api",
    ])
    error_message = "the execution role may pull only from the ECR repositories the services use"
  }

  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement : statement.Resource if statement.Sid == "WriteServiceLogs"])) == toset([
      "arn:aws:logs:us-west-1:123456789012:log-group:/ecs/staging-carcierge-api:log-stream:*",
      "arn:aws:logs:us-west-1:123456789012:log-group:/ecs/staging-carcierge-web:log-stream:*",
    ])
    error_message = "the execution role may write only to the services' own log groups"
  }

  assert {
    condition = alltrue([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      statement.Resource != "*" || statement.Action == "ecr:GetAuthorizationToken"
    ])
    error_message = "the execution role's only \"*\" resource is ecr:GetAuthorizationToken (IAM cannot scope it)"
  }
}

run "no_secrets_no_secret_access" {
  command = plan

  variables {
    services = {
      web = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  assert {
    condition = alltrue([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      !contains(flatten([statement.Action]), "secretsmanager:GetSecretValue") && !contains(flatten([statement.Action]), "kms:Decrypt") &&
      !startswith(statement.Sid, "Ecr")
    ])
    error_message = "without secrets or ECR images the execution role gets no secret, key or ECR access"
  }

  assert {
    condition     = length(aws_iam_role_policy.execution_secrets) == 0
    error_message = "without secrets there is no secrets policy"
  }
}

run "task_roles" {
  command = plan

  variables {
    enable_execute_command = true
    task_role_policy_statements = {
      service2 = [{
        sid       = "ReadUploads"
        actions   = ["s3:GetObject"]
        resources = ["arn:aws:s3:::carcierge-uploads/*"]
      }]
    }
  }

  assert {
    condition     = length(aws_iam_role.task) == 5 && alltrue([for key, role in aws_iam_role.task : role.name == "staging-carcierge-${key}-task"])
    error_message = "one task role per service"
  }

  assert {
    condition     = keys(output.task_roles) == keys(aws_iam_role.task) && alltrue([for key, role in output.task_roles : role.name == "staging-carcierge-${key}-task"])
    error_message = "the task_roles output names each service's task role"
  }

  assert {
    condition = alltrue(flatten([for policy in aws_iam_role_policy.task : [
      for statement in jsondecode(policy.policy).Statement : !contains(flatten([statement.Action]), "*")
    ]]))
    error_message = "no task-role statement grants the action \"*\""
  }

  assert {
    condition = alltrue(flatten([for policy in aws_iam_role_policy.exec : [
      for statement in jsondecode(policy.policy).Statement : statement.Resource != "*" || startswith(statement.Sid, "EcsExecChannels")
    ]]))
    error_message = "the only \"*\" resource in task roles is the ECS Exec message channels (no resource-level permissions)"
  }

  assert {
    condition = length(aws_iam_role_policy.exec) == 5 && toset([for statement in jsondecode(aws_iam_role_policy.exec["service1"].policy).Statement : statement.Sid]) == toset([
      "EcsExecChannels", "EcsExecFindLogGroup", "EcsExecWriteSessionLogs", "EcsExecSessionKey",
    ])
    error_message = "with ECS Exec on, every task role gets the exec policy, holding ECS Exec and nothing else"
  }

  assert {
    condition = keys(aws_iam_role_policy.task) == ["service2"] && anytrue([for statement in jsondecode(aws_iam_role_policy.task["service2"].policy).Statement :
      statement.Sid == "ReadUploads" && statement.Action == ["s3:GetObject"] && statement.Resource == ["arn:aws:s3:::carcierge-uploads/*"] && statement.Effect == "Allow"
    ])
    error_message = "extra statements go to the named service's role only"
  }

  assert {
    condition = alltrue([for role in aws_iam_role.task :
      jsondecode(role.assume_role_policy).Statement[0].Principal == { Service = "ecs-tasks.amazonaws.com" } &&
      jsondecode(role.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012" &&
      jsondecode(role.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"] == "arn:aws:ecs:us-west-1:123456789012:*"
    ]) && jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal == { Service = "ecs-tasks.amazonaws.com" }
    error_message = "only ECS tasks (of this account, for task roles) may assume the roles"
  }
}

run "task_role_action_star_is_rejected" {
  command = plan

  variables {
    task_role_policy_statements = {
      service1 = [{ actions = ["*"], resources = ["arn:aws:s3:::carcierge-uploads/*"] }]
    }
  }

  expect_failures = [var.task_role_policy_statements]
}

run "task_role_statements_for_unknown_service_are_rejected" {
  command = plan

  variables {
    task_role_policy_statements = {
      nosuchservice = [{ actions = ["s3:GetObject"], resources = ["arn:aws:s3:::carcierge-uploads/*"] }]
    }
  }

  expect_failures = [var.task_role_policy_statements]
}

# The CI deploy role creates roles only under the environment's boundary (ci_policies.py).
run "roles_carry_the_permissions_boundary" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/qa-carcierge-ci-boundary"
  }

  assert {
    condition     = alltrue([for boundary in concat([aws_iam_role.execution.permissions_boundary], [for role in aws_iam_role.task : role.permissions_boundary], [for role in aws_iam_role.ops_task : role.permissions_boundary]) : boundary == "arn:aws:iam::123456789012:policy/qa-carcierge-ci-boundary"])
    error_message = "every IAM role of the module must carry permissions_boundary_arn"
  }
}
