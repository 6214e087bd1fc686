# One task execution role (pull images, write the services' logs, read the listed secrets) and
# one task role per service (task_role_policy_statements, plus the ECS Exec channels when exec
# is on).
# Every ARN is built from names, so the policies are complete in the plan.

locals {
  # Images in ECR: <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest].
  ecr_image_pattern = "^(?P<account>[0-9]{12})\\.dkr\\.ecr(?:-fips)?\\.(?P<region>[a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?/(?P<repository>[^:@]+)"
  ecr_repository_arns = sort(distinct(concat(
    [
      for service in local.services : format(
        "arn:%s:ecr:%s:%s:repository/%s", local.partition,
        regex(local.ecr_image_pattern, service.image).region,
        regex(local.ecr_image_pattern, service.image).account,
        regex(local.ecr_image_pattern, service.image).repository,
      ) if can(regex(local.ecr_image_pattern, service.image))
    ],
    [for key, service in local.services : "arn:${local.partition}:ecr:${var.aws_region}:${local.account_id}:repository/${service.name}" if var.create_ecr_repositories],
    # The operator task's image (ops.tf; validated to be in ECR).
    [for image in(local.ops_enabled ? [var.ops_task.image] : []) : format(
      "arn:%s:ecr:%s:%s:repository/%s", local.partition,
      regex(local.ecr_image_pattern, image).region,
      regex(local.ecr_image_pattern, image).account,
      regex(local.ecr_image_pattern, image).repository,
    )],
  )))

  # Secret references may carry a JSON key suffix (:<key>:<stage>:<version>); IAM wants the
  # secret's own ARN: the first seven colon-separated fields.
  secret_references = concat(
    values(var.shared_secrets),
    flatten([for service in values(var.services) : values(service.secrets)]),
    flatten([for key, settings in var.service_secrets : values(settings) if contains(keys(var.services), key)]),
  )
  secret_arns = distinct([for reference in local.secret_references : join(":", slice(split(":", reference), 0, 7))])

  execution_statements = [for candidate in [
    {
      include = length(local.ecr_repository_arns) > 0
      statement = {
        Sid      = "EcrAuthorizationToken"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken" # account-wide call: IAM accepts only "*" here
        Resource = "*"
      }
    },
    {
      include = length(local.ecr_repository_arns) > 0
      statement = {
        Sid      = "EcrPullServiceImages"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = local.ecr_repository_arns
      }
    },
    {
      include = true
      statement = {
        Sid      = "WriteServiceLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = [for group in concat([for service in values(local.services) : service.log_group], local.ops_enabled ? [local.ops_log_group] : []) : "${local.log_group_arn}${group}:log-stream:*"]
      }
    },
  ] : candidate.statement if candidate.include]

  # Each role that reads secrets (the execution role; the operator task, ops.tf) reads exactly
  # the listed ones and decrypts them through Secrets Manager only; none listed, no statement.
  secret_read_statements = {
    for role, arns in { execution = local.secret_arns, ops = local.ops_read_secret_arns } : role => [for statement in [
      {
        Sid      = "ReadListedSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = arns
      },
      {
        Sid       = "DecryptListedSecrets"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${var.aws_region}.amazonaws.com" } }
      },
    ] : statement if length(arns) > 0]
  }
  # In a policy of its own: secret ARNs of data stores are known only after apply, and this
  # keeps the rest of the execution role reviewable in the plan.
  execution_secret_statements = local.secret_read_statements.execution

  # ECS Exec from inside the task: the SSM message channels (no resource-level permissions
  # exist for them), the exec log group, and the session key.
  exec_statements = [
    {
      Sid      = "EcsExecChannels"
      Effect   = "Allow"
      Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
      Resource = "*"
    },
    {
      Sid      = "EcsExecFindLogGroup"
      Effect   = "Allow"
      Action   = "logs:DescribeLogGroups"
      Resource = "${local.log_group_arn}*"
    },
    {
      Sid      = "EcsExecWriteSessionLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = "${local.log_group_arn}${local.exec_log_group}:*"
    },
    {
      Sid      = "EcsExecSessionKey"
      Effect   = "Allow"
      Action   = "kms:Decrypt"
      Resource = var.kms_key_arn
    },
  ]

  task_statements = {
    for key in keys(local.services) : key => [for statement in lookup(var.task_role_policy_statements, key, []) : merge(
      { Effect = statement.effect, Action = statement.actions, Resource = statement.resources },
      statement.sid == null ? {} : { Sid = statement.sid },
      statement.condition == null ? {} : { Condition = statement.condition },
    )]
  }

  # The trust AWS documents for the task execution role (the ECS/Fargate agent assumes it).
  execution_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  }

  # Task roles add AWS's confused-deputy guard: only ECS tasks of this account and region.
  task_assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = local.source_conditions.ecs
    }]
  }
}

resource "aws_iam_role" "execution" {
  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name               = "${var.name_prefix}-ecs-task-execution"
  description        = "ECS task execution role of ${local.cluster_name}: image pull, service logs, listed secrets"
  assume_role_policy = jsonencode(local.execution_assume_role_policy)

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-task-execution" })
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name_prefix}-ecs-task-execution"
  role   = aws_iam_role.execution.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.execution_statements })
}

resource "aws_iam_role_policy" "execution_secrets" {
  count = length(local.secret_references) > 0 ? 1 : 0

  name   = "${var.name_prefix}-ecs-task-execution-secrets"
  role   = aws_iam_role.execution.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.execution_secret_statements })
}

resource "aws_iam_role" "task" {
  for_each = local.services

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name               = "${each.value.name}-task"
  description        = "Task role of ${each.value.name}"
  assume_role_policy = jsonencode(local.task_assume_role_policy)

  tags = merge(var.tags, { Name = "${each.value.name}-task" })
}

# ECS Exec's permissions in a policy of their own, present only while exec is on.
resource "aws_iam_role_policy" "exec" {
  for_each = var.enable_execute_command ? local.services : {}

  name   = "${each.value.name}-task-exec"
  role   = aws_iam_role.task[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.exec_statements })
}

resource "aws_iam_role_policy" "task" {
  for_each = { for key, statements in local.task_statements : key => statements if length(statements) > 0 }

  name   = "${local.services[each.key].name}-task"
  role   = aws_iam_role.task[each.key].id
  policy = jsonencode({ Version = "2012-10-17", Statement = each.value })
}
