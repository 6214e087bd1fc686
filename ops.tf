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
    OPENSEARCH_SERVICE_ROLES     = jsonencode(module.ecs.task_role_arns)
    OPENSEARCH_DELIVERY_ROLE_ARN = local.opensearch_log_delivery.delivery_role_arn == null ? "" : local.opensearch_log_delivery.delivery_role_arn
    OPENSEARCH_SNAPSHOT_BUCKET   = local.opensearch_log_delivery.snapshots ? local.opensearch_log_delivery.snapshot_bucket : ""
    OPENSEARCH_SNAPSHOT_ROLE_ARN = local.opensearch_log_delivery.snapshots ? local.opensearch_log_delivery.snapshot_role_arn : ""
    LOG_RETENTION_DAYS           = tostring(var.log_retention_days)
  }
}
