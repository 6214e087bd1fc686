# The operator task: post-apply commands that must run inside the VPC (the data stores accept
# connections from the tasks' security groups only; the operator task has its own). It is a task
# definition without a service: the root's terraform_data.ops_setup starts it inside every apply
# that needs it (`carcierge ops run`, docs/first-deployment.md); an operator can start it with
# `aws ecs run-task` (the ops_run_task output) and a command override, e.g. ["carcierge",
# "opensearch", "setup", "-e", "<env>"]. docs/runbooks/.

locals {
  ops_enabled = var.ops_task != null
  # <prefix>-ops: a key no service may take (modules/conventions, reserved_service_keys).
  ops_name      = "${var.name_prefix}-${module.conventions.reserved_service_keys.ops_task}"
  ops_log_group = "/ecs/${local.ops_name}"

  ops_environment = local.ops_enabled ? merge(var.ops_task.environment, {
    # The root filesystem is read-only: anything that wants a home directory gets /tmp.
    HOME = "/tmp"
  }) : {}

  # Least privilege for the commands it runs: read the listed secrets (the RDS master secret),
  # decrypt them through Secrets Manager only (iam.tf, secret_read_statements), and assume the
  # listed roles (OpenSearch master).
  ops_read_secret_arns = local.ops_enabled ? var.ops_task.read_secret_arns : []
  ops_assume_role_arns = local.ops_enabled ? var.ops_task.assume_role_arns : []
  ops_statements = concat(local.secret_read_statements.ops, [for arns in [local.ops_assume_role_arns] : {
    Sid      = "AssumeListedRoles"
    Effect   = "Allow"
    Action   = "sts:AssumeRole"
    Resource = arns
  } if length(arns) > 0])
}

resource "aws_cloudwatch_log_group" "ops" {
  count = local.ops_enabled ? 1 : 0

  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file
  name              = local.ops_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${local.ops_name}-logs" })
}

resource "aws_iam_role" "ops_task" {
  count = local.ops_enabled ? 1 : 0

  # The only kind of role the CI deploy role may create (ci_policies.py, boundary_policy).
  permissions_boundary = var.permissions_boundary_arn

  name               = "${local.ops_name}-task"
  description        = "Task role of ${local.ops_name}: post-apply commands (database roles, OpenSearch set-up)"
  assume_role_policy = jsonencode(local.task_assume_role_policy)

  tags = merge(var.tags, { Name = "${local.ops_name}-task" })
}

# In a policy of its own: the secret and role ARNs are known only after apply.
resource "aws_iam_role_policy" "ops_task" {
  count = local.ops_enabled && length(local.ops_statements) > 0 ? 1 : 0

  name   = "${local.ops_name}-task"
  role   = aws_iam_role.ops_task[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.ops_statements })
}

resource "aws_ecs_task_definition" "ops" {
  count = local.ops_enabled ? 1 : 0

  family                   = local.ops_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.ops_task.cpu)
  memory                   = tostring(var.ops_task.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.ops_task[0].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64" # the CI image is built for linux/amd64
  }

  volume {
    name = "tmp" # task-scoped ephemeral storage: the only writable path
  }

  container_definitions = jsonencode([{
    name      = "ops"
    image     = var.ops_task.image
    essential = true
    # Harmless without an override: every real run names its command (docs/runbooks/).
    command     = ["carcierge", "--help"]
    environment = [for name in sort(keys(local.ops_environment)) : { name = name, value = local.ops_environment[name] }]

    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    volumesFrom            = []
    portMappings           = []
    user                   = "65534:65534" # nobody: no root in the container
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { add = [], drop = ["ALL"] }
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.ops[0].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "ops"
      }
    }
  }])

  tags = merge(var.tags, { Name = local.ops_name })

  # A run of any revision has its rights: the execution role's policy (image pull, logs) and
  # the task role's policy exist before the task definition that names them (a run-at-apply
  # starts it right after registration: the root's terraform_data.ops_setup).
  depends_on = [aws_iam_role_policy.execution, aws_iam_role_policy.ops_task]
}
