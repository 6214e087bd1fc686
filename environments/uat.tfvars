# uat: deployed from branch uat.
environment = "uat"
aws_region  = "us-west-1"
# The AWS account of this environment (a placeholder from AWS's documentation until set up;
# docs/setup.md): the provider refuses any other account.
aws_account_id = "777788889999"

kms_deletion_window_in_days = 30

# Shared
log_retention_days  = 30
deletion_protection = true

# Backups and logs
# Cross-region copies off: uat's data can be rebuilt from prod's restore runbook; prod has them.
enable_cross_region_backups = false
backup_region               = "us-east-1"
# Logs into OpenSearch: every service's log group, daily indices logs-<service>-yyyy.MM.dd.
enable_log_delivery = true

# Network
vpc_cidr                   = "10.30.0.0/16"
az_count                   = 2
nat_gateway_mode           = "per_az"
enable_interface_endpoints = true
# The tasks' DNS allow-list (DNS Firewall): this region's AWS names are always allowed; list the
# third-party HTTPS hosts the services call here (none yet). Every other name gets NXDOMAIN.
egress_allowed_domains = []
alb_ingress_cidrs      = ["0.0.0.0/0"]

# Compute: the ALB's certificate (ACM, in aws_region; a placeholder until the real one exists),
# optional DNS alias, WAF and ECR repositories.
ssl_certificate_arn     = "arn:aws:acm:us-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000003"
create_ecr_repositories = false
# ECS Exec off: a session is a shell with the container's secrets and task role.
enable_ecs_exec = false
# An apply waits up to this long for every service to settle (two tasks per service).
ecs_steady_state_timeout_minutes = 30
# domain_name     = "uat.carcierge.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"
# WAF: the project's web ACL (managed rule groups, per-IP rate limit, logs in
# aws-waf-logs-uat-carcierge). waf_web_acl_arn is the bring-your-own alternative.
enable_waf = true

# Services: the five Carcierge sub-projects, from the catalog (service_catalog in terraform.tfvars:
# ports, routing, task sizes), with what differs here. service_defaults: every service's counts
# and capacities unless its entry in services says otherwise.
# spot = share of tasks on FARGATE_SPOT (%): partial here; the first task of each service stays on FARGATE.
service_defaults = {
  desired_count = 2
  min_capacity  = 2
  max_capacity  = 4
  spot          = 50
}

# Images must exist in ECR before a real apply; by digest, required in uat and prod
# (docs/runbooks/change-image.md; these digests are placeholders).
services = {
  service1 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1@sha256:0000000000000000000000000000000000000000000000000000000000000001" }
  service2 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service2@sha256:0000000000000000000000000000000000000000000000000000000000000002" }
  service3 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service3@sha256:0000000000000000000000000000000000000000000000000000000000000003" }
  service4 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service4@sha256:0000000000000000000000000000000000000000000000000000000000000004" }
  service5 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service5@sha256:0000000000000000000000000000000000000000000000000000000000000005" }
}

# Data stores: prod's topology at a smaller size (Multi-AZ Redis and RDS, zone-aware OpenSearch).
# Deletion protection and final snapshots follow deletion_protection / skip_final_snapshot;
# no secret values here: RDS and Terraform generate them into Secrets Manager.
redis_config = {
  node_type                = "cache.t4g.small"
  num_cache_nodes          = 2 # primary + replica in the other AZ, automatic failover
  engine_version           = "7.1"
  snapshot_retention_limit = 3
}

# Roles that may assume <env>-carcierge-opensearch-admin (all_access in the domain): the
# account's IAM Identity Center administrators (the generated role name ends in a random
# suffix, hence the *). Use this environment's account id; a plan refuses another account's roles.
opensearch_admin_principal_arns = [
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
]

opensearch_config = {
  engine_version = "OpenSearch_2.19"
  instance_type  = "t3.medium.search"
  instance_count = 2 # zone-aware over both AZs
  volume_size    = 20
}

rds_config = {
  engine                = "postgres"
  engine_version        = "16"
  instance_class        = "db.t4g.small"
  allocated_storage     = 20
  max_allocated_storage = 100
  database_name         = "carcierge"
  username              = "carcierge_user"
  multi_az              = true

  # Explicit (the module's defaults) so that checkov, which does not apply optional() defaults,
  # sees backups, Performance Insights and enhanced monitoring on.
  backup_retention_period = 7
  performance_insights    = true
  monitoring_interval     = 60
}

# Operator task (post-apply commands inside the VPC): the CI image (ci/Dockerfile) in ECR, by digest
ops_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops@sha256:00000000000000000000000000000000000000000000000000000000000000a0"

# Monitoring (alert e-mails: never committed; the ALERT_EMAILS CI/CD variable, README "Variables")
alarm_thresholds = {
  evaluation_periods   = 3
  ecs_cpu_percent      = 85
  ecs_memory_percent   = 85
  alb_5xx_rate_percent = 5
  p99_latency_seconds  = 2
  rds_cpu_percent      = 80
  redis_cpu_percent    = 75
}
