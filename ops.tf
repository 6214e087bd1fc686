# The operator task's settings: what `carcierge db roles` and `carcierge opensearch setup` read
# from their environment when they run as the one-off ECS task <env>-carcierge-ops
# (modules/ecs/ops.tf; docs/runbooks/post-apply.md).

locals {
  # The operator task's role (modules/ecs/ops.tf names it so), built from its name: the OpenSearch
  # master role trusts it, and taking the ARN from the module would make a cycle (the task's
  # environment names the master role).
  ops_task_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.name_prefix}-ops-task"

  # What `carcierge opensearch setup` registers besides the services: the log delivery role
  # (the log_delivery module; null where enable_log_delivery is off) and the manual snapshot
  # repository (bucket and role of modules/opensearch). `snapshots` is a plain bool so that
  # what depends on it is countable at plan although the ARNs are known only after apply; the
  # command skips, with a line, what is unset (an empty value in the task's environment).
  opensearch_log_delivery = {
    delivery_role_arn = one(module.log_delivery[*].delivery_role_arn)
    snapshots         = true
    snapshot_bucket   = module.opensearch.snapshot_bucket
    snapshot_role_arn = module.opensearch.snapshot_role_arn
  }
  opensearch_snapshot_role_arns = local.opensearch_log_delivery.snapshots ? [local.opensearch_log_delivery.snapshot_role_arn] : []

  # Task role ARN per service key: the roles `carcierge opensearch setup` maps to OpenSearch
  # roles (and the root output task_role_arns).
  task_role_arns = { for key, role in module.ecs.task_roles : key => role.arn }

  ops_environment = {
    AWS_REGION = var.aws_region
    # carcierge db roles (docs/operations.md, "Database access")
    DB_HOST              = module.rds.connection_environment.DB_HOST
    DB_PORT              = module.rds.connection_environment.DB_PORT
    DB_NAME              = module.rds.connection_environment.DB_NAME
    DB_MASTER_SECRET_ARN = module.rds.master_user_secret_arn
    DB_SERVICE_ROLES     = jsonencode(local.database_users)
    # carcierge opensearch setup (pipeline-scripts/carcierge_pipeline/opensearch_setup.py)
    OPENSEARCH_ENDPOINT          = module.opensearch.connection_environment.OPENSEARCH_ENDPOINT
    OPENSEARCH_ADMIN_ROLE_ARN    = module.opensearch.master_user_arn
    OPENSEARCH_SERVICE_ROLES     = jsonencode(local.task_role_arns)
    OPENSEARCH_DELIVERY_ROLE_ARN = local.opensearch_log_delivery.delivery_role_arn == null ? "" : local.opensearch_log_delivery.delivery_role_arn
    OPENSEARCH_SNAPSHOT_BUCKET   = local.opensearch_log_delivery.snapshots ? local.opensearch_log_delivery.snapshot_bucket : ""
    OPENSEARCH_SNAPSHOT_ROLE_ARN = local.opensearch_log_delivery.snapshots ? local.opensearch_log_delivery.snapshot_role_arn : ""
    LOG_RETENTION_DAYS           = tostring(var.log_retention_days)
  }
}

# --- the first apply brings up a working platform in one pass (issue 22) ---
#
# What the services need before they can be healthy is created INSIDE the apply, from inside the
# VPC, before the ECS services are asked to be steady: `carcierge ops run` (ops_run.py) starts
# the operator task once per command (ecs:RunTask with a command override), waits for each to
# stop and fails the apply with one line per task that exits non-zero. The services wait for it
# (modules/ecs: services_after). Why a one-off task and not a Lambda function: the commands and
# their image already exist and are tested (database.py, opensearch_setup.py); a function would
# need a second packaging of them, a zip built reproducibly without the archive provider, and a
# second role and network interface in the VPC. docs/first-deployment.md.
#
# It re-runs when what it creates changes: the set of service roles, the database instance (a
# replaced instance has a new resource id), the OpenSearch domain or the task roles the
# mappings name. Both commands are idempotent. A new ops task definition revision alone only
# updates `input` (no re-run).
resource "terraform_data" "ops_setup" {
  triggers_replace = {
    database_instance = module.rds.resource_id
    database_roles    = jsonencode(local.database_users)
    opensearch_domain = module.opensearch.domain_arn
    opensearch_roles  = jsonencode(local.task_role_arns)
    commands          = jsonencode(local.ops_setup_commands)
  }

  input = {
    cluster         = module.ecs.cluster_arn
    task_definition = module.ecs.ops_task.task_definition_arn
    container       = module.ecs.ops_task.container
    subnets         = jsonencode(module.vpc.private_subnet_id_list)
    security_groups = jsonencode([module.security_groups.ops_security_group_id])
    commands        = jsonencode(local.ops_setup_commands)
    timeout_seconds = tostring(local.ops_setup_timeout_seconds)
  }

  # The run starts the task, which reads these settings from its environment (ops.tf above)
  # and needs a route out (NAT, endpoints), the data stores' security group rules and network
  # ACLs, and the master secret and role: every resource of these modules exists first.
  provisioner "local-exec" {
    # The pipeline names its own interpreter (terraform.py sets CARCIERGE_COMMAND); by hand,
    # `carcierge` on PATH. The settings travel as environment variables, never shell-quoted.
    command = "$${CARCIERGE_COMMAND:-carcierge} ops run"
    environment = {
      OPS_CLUSTER         = self.input.cluster
      OPS_TASK_DEFINITION = self.input.task_definition
      OPS_CONTAINER       = self.input.container
      OPS_SUBNETS         = self.input.subnets
      OPS_SECURITY_GROUPS = self.input.security_groups
      OPS_COMMANDS        = self.input.commands
      OPS_TIMEOUT_SECONDS = self.input.timeout_seconds
      AWS_REGION          = var.aws_region
    }
  }

  depends_on = [module.vpc, module.security_groups, module.rds, module.opensearch]
}

locals {
  # What the apply runs as the operator task, in this order of tasks (they run side by side).
  ops_setup_commands = [
    ["carcierge", "db", "roles", "--environment", var.environment],
    ["carcierge", "opensearch", "setup", "--environment", var.environment],
  ]
  # A Fargate task starts in about a minute and both commands take seconds; a run still going
  # after 15 minutes fails the apply (ops_run.py names the task) rather than hang it.
  ops_setup_timeout_seconds = 900
}
