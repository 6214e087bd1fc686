# Database access of the services: each service signs in to PostgreSQL as a role of its own
# with IAM database authentication tokens, never as the master user. The roles are created in
# the database after apply by `carcierge db roles -e <env>` (docs/operations.md, "Database access").

locals {
  # The service's database role: svc_<key> with hyphens as underscores. Service keys are
  # lowercase letters, digits and hyphens starting with a letter (modules/ecs validates them),
  # so every role is a valid unquoted PostgreSQL identifier and two keys never share a role;
  # modules/rds validates the names again.
  database_users = { for key in keys(local.services) : key => "svc_${replace(key, "-", "_")}" }
}

# In a policy of its own per task role: the resource id of the instance is known only after
# apply, and this keeps the rest of the task role reviewable in the plan.
resource "aws_iam_role_policy" "database_connect" {
  for_each = local.database_users

  name = "${local.name_prefix}-${each.key}-task-rds-connect"
  role = module.ecs.task_roles[each.key].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "RdsIamConnectAsOwnRole"
      Effect   = "Allow"
      Action   = "rds-db:connect"
      Resource = module.rds.iam_connect_arns[each.key]
    }]
  })
}
