output "environment" {
  description = "The environment this state describes."
  value       = var.environment
}

output "name_prefix" {
  description = "Prefix of every resource name: <environment>-<project>."
  value       = local.name_prefix
}

output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value       = module.kms.key_arn
}

output "kms_key_alias" {
  description = "Alias of the environment's KMS key."
  value       = module.kms.alias_name
}

# --- network ---

output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.vpc.vpc_id
}

output "availability_zones" {
  description = "Availability zones the environment uses."
  value       = module.vpc.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnet ids by AZ (ALB, NAT gateways)."
  value       = module.vpc.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnet ids by AZ (ECS tasks)."
  value       = module.vpc.private_subnet_ids
}

output "data_subnet_ids" {
  description = "Data subnet ids by AZ (RDS, Redis, OpenSearch)."
  value       = module.vpc.data_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateway ids by AZ (one in single mode)."
  value       = module.vpc.nat_gateway_ids
}

output "private_route_nat_azs" {
  description = "For each private subnet's AZ, the AZ of the NAT gateway its default route uses."
  value       = module.vpc.private_route_nat_azs
}

output "security_group_ids" {
  description = "Security group ids by role."
  value = {
    alb        = module.security_groups.alb_security_group_id
    services   = module.security_groups.service_security_group_ids
    ops        = module.security_groups.ops_security_group_id
    redis      = module.security_groups.redis_security_group_id
    opensearch = module.security_groups.opensearch_security_group_id
    rds        = module.security_groups.rds_security_group_id
  }
}

# --- compute ---

output "alb_dns_name" {
  description = "DNS name of the Application Load Balancer."
  value       = module.ecs.alb_dns_name
}

output "alb_zone_id" {
  description = "Canonical hosted zone of the ALB (for alias records)."
  value       = module.ecs.alb_zone_id
}

output "application_fqdn" {
  description = "domain_name's alias record to the ALB, or null without one."
  value       = module.ecs.application_fqdn
}

output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.ecs.cluster_name
}

output "ecs_cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = module.ecs.cluster_arn
}

output "ecs_service_names" {
  description = "ECS service name per service key."
  value       = module.ecs.service_names
}

output "ecs_log_group_names" {
  description = "CloudWatch log group per service key."
  value       = module.ecs.log_group_names
}

output "target_group_arns" {
  description = "Target group ARN per public service key."
  value       = { for key, group in module.ecs.target_groups : key => group.arn }
}

output "task_role_arns" {
  description = "Task role ARN per service key."
  value       = local.task_role_arns
}

output "service_endpoints" {
  description = "In-namespace URL of every service (Service Connect), e.g. http://service2:3002."
  value       = module.ecs.service_endpoints
}

# --- data stores (endpoints and secret ARNs; never secret values) ---

output "redis_primary_endpoint" {
  description = "Primary endpoint of the Redis replication group (TLS and AUTH required)."
  value       = module.elasticache.primary_endpoint_address
}

output "redis_reader_endpoint" {
  description = "Reader endpoint of the Redis replication group."
  value       = module.elasticache.reader_endpoint_address
}

output "redis_port" {
  description = "Port of the Redis replication group."
  value       = module.elasticache.port
}

output "redis_user_secret_arns" {
  description = "ARN of each service's Redis password secret, by service key (the values stay in Secrets Manager; rotation: docs/runbooks/rotate-redis-token.md)."
  value       = module.elasticache.user_secret_arns
}

output "opensearch_endpoint" {
  description = "HTTPS URL of the OpenSearch domain (inside the VPC; SigV4 with an allowed role)."
  value       = module.opensearch.connection_environment.OPENSEARCH_ENDPOINT
}

output "opensearch_domain_arn" {
  description = "ARN of the OpenSearch domain."
  value       = module.opensearch.domain_arn
}

output "opensearch_master_user_arn" {
  description = "IAM principal that administers fine-grained access control (maps the services' task roles)."
  value       = module.opensearch.master_user_arn
}

output "rds_address" {
  description = "Host name of the PostgreSQL instance (TLS required)."
  value       = module.rds.address
}

output "rds_port" {
  description = "Port of the PostgreSQL instance."
  value       = module.rds.port
}

output "rds_database_name" {
  description = "Database created with the instance."
  value       = module.rds.database_name
}

output "rds_master_user_secret_arn" {
  description = "ARN of the RDS-managed secret with the master credentials (JSON keys username, password): break-glass and `carcierge db roles` only, never given to a service."
  value       = module.rds.master_user_secret_arn
}

output "rds_resource_id" {
  description = "Resource id of the PostgreSQL instance (db-...), the <resource_id> in rds-db:connect ARNs."
  value       = module.rds.resource_id
}

output "service_container_settings" {
  description = "What each service's container gets: environment (DB_USERNAME is its own database role) and secrets (Secrets Manager references, never the RDS master secret)."
  value       = module.ecs.container_settings
}

output "database_roles" {
  description = "PostgreSQL role of each service (service key => role), which its task signs in as with IAM tokens; `carcierge db roles -e <env>` creates them after apply."
  value       = module.rds.iam_database_users
}

output "data_store_secret_arns" {
  description = "Every data-store secret the services' execution role reads."
  value       = concat(module.elasticache.secret_arns, module.rds.secret_arns, module.opensearch.secret_arns)
}

output "service_runtime" {
  description = "How each service's container runs (user, read-only root filesystem, writable paths, Linux capabilities), as in its task definition."
  value       = module.ecs.container_runtime
}

output "service_connection_settings" {
  description = "What every service receives from the data stores: environment (non-secret settings) and secrets (env var => Secrets Manager ARN reference that ECS resolves at task start; Terraform never sees the values)."
  value = {
    environment = local.service_connection_environment
    secrets     = local.service_connection_secrets
  }
}

# --- monitoring ---

output "alert_topic_arn" {
  description = "SNS topic that every alarm notifies; subscribe on-call tooling here."
  value       = module.monitoring.alert_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch overview dashboard of the environment."
  value       = module.monitoring.dashboard_name
}

output "opensearch_snapshot_bucket" {
  description = "S3 bucket of the OpenSearch manual snapshot repository (`carcierge opensearch setup` registers it)."
  value       = module.opensearch.snapshot_bucket
}

output "opensearch_snapshot_role_arn" {
  description = "Role OpenSearch Service assumes for manual snapshots; the principal that registers the repository needs iam:PassRole on it."
  value       = module.opensearch.snapshot_role_arn
}

output "backup_region" {
  description = "Region of the cross-region backup copies, or null where enable_cross_region_backups is off."
  value       = var.enable_cross_region_backups ? var.backup_region : null
}

output "backup_kms_key_arn" {
  description = "KMS key in backup_region that encrypts the cross-region copies, or null."
  value       = one(module.backup_kms[*].key_arn)
}

output "rds_backup_replication_arn" {
  description = "ARN of the RDS automated backups replicated to backup_region (restore from it there), or null."
  value       = module.rds.backup_replication_arn
}

output "opensearch_snapshot_replica_bucket" {
  description = "Replica of the OpenSearch snapshot bucket in backup_region, or null."
  value       = module.opensearch.snapshot_replica_bucket
}

output "opensearch_delivery_role_arn" {
  description = "Role the log delivery pipeline writes into OpenSearch with (`carcierge opensearch setup` maps it to write logs-*), or null where enable_log_delivery is off."
  value       = one(module.log_delivery[*].delivery_role_arn)
}

output "log_delivery_streams" {
  description = "Firehose stream per service log group, or {} where enable_log_delivery is off."
  value       = try(module.log_delivery[0].stream_names, {})
}

# --- operator task ---

output "ops_task" {
  description = "The operator task <env>-carcierge-ops for post-apply commands inside the VPC: family, container, task role ARN, log group, and its environment (the settings of `carcierge db roles` and `carcierge opensearch setup`)."
  value       = module.ecs.ops_task
}

output "ops_run_task" {
  description = "The `aws ecs run-task` command line that starts the operator task in the private subnets with its own security group; append --overrides 'containerOverrides=[{name=ops,command=[carcierge,...]}]' (docs/runbooks/post-apply.md)."
  value = join(" ", [
    "aws ecs run-task",
    "--cluster ${module.ecs.cluster_name}",
    "--task-definition ${module.ecs.ops_task.family}",
    "--launch-type FARGATE",
    "--started-by carcierge-ops",
    "--network-configuration '${jsonencode({ awsvpcConfiguration = { subnets = module.vpc.private_subnet_id_list, securityGroups = [module.security_groups.ops_security_group_id], assignPublicIp = "DISABLED" } })}'",
  ])
}

output "ops_run_task_input" {
  description = "The operator task's RunTask parameters as JSON, for `aws ecs run-task --cli-input-json \"$(terraform output -raw ops_run_task_input)\" --overrides 'containerOverrides=[{name=ops,command=[carcierge,...]}]'`: the private subnets, the operator task's own security group, no public IP. Data, not a command line: nothing to eval (review 2026-12-07 L7; docs/runbooks/post-apply.md)."
  value = jsonencode({
    cluster        = module.ecs.cluster_name
    taskDefinition = module.ecs.ops_task.family
    launchType     = "FARGATE"
    startedBy      = "carcierge-ops"
    networkConfiguration = {
      awsvpcConfiguration = {
        subnets        = module.vpc.private_subnet_id_list
        securityGroups = [module.security_groups.ops_security_group_id]
        assignPublicIp = "DISABLED"
      }
    }
  })
}
