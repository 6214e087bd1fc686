# The operator task <name_prefix>-ops: a one-off Fargate task (no service) with its own log
# group and a task role that may only read the listed secrets (decrypting through Secrets
# Manager), and assume the listed roles; its image comes from ECR through the execution role.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

variables {
  name_prefix           = "staging-carcierge"
  environment           = "staging"
  aws_region            = "us-west-1"
  vpc_id                = "vpc-0123456789abcdef0"
  public_subnet_ids     = ["subnet-0public0000000001", "subnet-0public0000000002"]
  private_subnet_ids    = ["subnet-0private000000001", "subnet-0private000000002"]
  alb_security_group_id = "sg-0alb00000000000001"
  kms_key_arn           = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days    = 14
  ssl_certificate_arn   = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"

  # The product spec's five services (its staging example).
  services = {
    for i in range(1, 6) : "service${i}" => {
      container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service${i}:1.0.0"
      container_port  = 3000 + i
      desired_count   = 2
      cpu             = 512
      memory          = 1024
      default_route   = i == 1
    }
  }
}

run "ops_task" {
  command = plan

  variables {
    ops_task = {
      image            = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops:1.0.0"
      environment      = { DB_HOST = "staging-carcierge-rds-postgres.abc.us-west-1.rds.amazonaws.com" }
      read_secret_arns = ["arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-1234-AbCdEf"]
      assume_role_arns = ["arn:aws:iam::123456789012:role/staging-carcierge-opensearch-admin"]
    }
  }

  assert {
    condition = (
      aws_ecs_task_definition.ops[0].family == "staging-carcierge-ops" &&
      aws_ecs_task_definition.ops[0].requires_compatibilities == toset(["FARGATE"]) &&
      aws_ecs_task_definition.ops[0].network_mode == "awsvpc"
    )
    error_message = "the operator task must be a Fargate task definition staging-carcierge-ops"
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.ops[0].container_definitions)[0].user == "65534:65534" &&
      jsondecode(aws_ecs_task_definition.ops[0].container_definitions)[0].readonlyRootFilesystem &&
      jsondecode(aws_ecs_task_definition.ops[0].container_definitions)[0].linuxParameters.capabilities.drop == ["ALL"] &&
      contains(jsondecode(aws_ecs_task_definition.ops[0].container_definitions)[0].environment, { name = "DB_HOST", value = "staging-carcierge-rds-postgres.abc.us-west-1.rds.amazonaws.com" }) &&
      contains(jsondecode(aws_ecs_task_definition.ops[0].container_definitions)[0].environment, { name = "HOME", value = "/tmp" })
    )
    error_message = "the operator container runs as nobody on a read-only root with no capabilities, with its settings in the environment"
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.ops[0].name == "/ecs/staging-carcierge-ops" &&
      aws_cloudwatch_log_group.ops[0].retention_in_days == 14 &&
      aws_cloudwatch_log_group.ops[0].kms_key_id == var.kms_key_arn
    )
    error_message = "the operator task logs to /ecs/staging-carcierge-ops, encrypted, with the environment's retention"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.ops_task[0].policy).Statement == [
      {
        Sid      = "ReadListedSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = ["arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-1234-AbCdEf"]
      },
      {
        Sid       = "DecryptListedSecrets"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.us-west-1.amazonaws.com" } }
      },
      {
        Sid      = "AssumeListedRoles"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = ["arn:aws:iam::123456789012:role/staging-carcierge-opensearch-admin"]
      },
    ]
    error_message = "the operator task role may read the listed secrets, decrypt through Secrets Manager only, and assume the listed roles; nothing else"
  }

  assert {
    condition     = contains(jsondecode(aws_iam_role_policy.execution.policy).Statement[1].Resource, "arn:aws:ecr:us-west-1:123456789012:repository/carcierge-ops")
    error_message = "the execution role must pull the operator image from its ECR repository"
  }
}

run "no_ops_task_by_default" {
  command = plan

  assert {
    condition     = length(aws_ecs_task_definition.ops) == 0 && length(aws_iam_role.ops_task) == 0 && output.ops_task == null
    error_message = "without ops_task the module creates no operator task"
  }
}

run "ops_image_must_be_in_ecr" {
  command = plan

  variables {
    ops_task = { image = "registry.gitlab.com/group/carcierge/ci:1.0.0" }
  }

  expect_failures = [var.ops_task]
}
