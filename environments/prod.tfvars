# prod: deployed from branch prod.
environment = "prod"
aws_region  = "us-west-1"
# The AWS account of this environment (a placeholder from AWS's documentation until set up;
# docs/setup.md): the provider refuses any other account.
aws_account_id = "123456789012"

kms_deletion_window_in_days = 30

# Shared
log_retention_days  = 90
deletion_protection = true

# Backups and logs
# Cross-region copies (RDS automated backups, OpenSearch snapshot bucket) to backup_region:
# us-east-1, not us-west-2, which AWS's RDS guide shows as unable to take RDS automated backups
# from us-west-1; the real-mode pre-flight asks RDS (DescribeSourceRegions) before each plan.
enable_cross_region_backups = true
backup_region               = "us-east-1"
# Logs into OpenSearch: every service's log group, daily indices logs-<service>-yyyy.MM.dd.
enable_log_delivery = true

# Network
vpc_cidr                   = "10.40.0.0/16"
az_count                   = 2
nat_gateway_mode           = "per_az"
enable_interface_endpoints = true
# The tasks' DNS allow-list (DNS Firewall): this region's AWS names are always allowed; list the
# third-party HTTPS hosts the services call here (none yet). Every other name gets NXDOMAIN.
egress_allowed_domains = []
alb_ingress_cidrs      = ["0.0.0.0/0"]

# Compute: the ALB's certificate (ACM, in aws_region; a placeholder until the real one exists),
# optional DNS alias, WAF and ECR repositories.
ssl_certificate_arn     = "arn:aws:acm:us-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000004"
create_ecr_repositories = false
# ECS Exec off: a session is a shell with the container's secrets and task role.
enable_ecs_exec = false
# An apply waits up to this long for every service to settle (two tasks per service).
ecs_steady_state_timeout_minutes = 30
# domain_name     = "prod.carcierge.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"
# WAF: the project's web ACL (managed rule groups, per-IP rate limit, logs in
# aws-waf-logs-prod-carcierge). waf_web_acl_arn is the bring-your-own alternative.
enable_waf = true

# Services: the five Carcierge sub-projects, from the catalog (service_catalog in terraform.tfvars:
# ports, routing, task sizes), with what differs here. service_defaults: every service's counts
# and capacities unless its entry in services says otherwise.
# spot = share of tasks on FARGATE_SPOT (%): 0 in prod, as no service is marked interruptible.
service_defaults = {
  desired_count = 2
  min_capacity  = 2
  max_capacity  = 10
  spot          = 0
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

# Data stores: sized for availability (Multi-AZ Redis and RDS, zone-aware OpenSearch).
# Deletion protection and final snapshots follow deletion_protection / skip_final_snapshot;
# no secret values here: RDS and Terraform generate them into Secrets Manager.
redis_config = {
  node_type                = "cache.m6g.large"
  num_cache_nodes          = 2 # primary + replica in the other AZ, automatic failover
  engine_version           = "7.1"
  snapshot_retention_limit = 7
}

# Roles that may assume <env>-carcierge-opensearch-admin (all_access in the domain): the
# account's IAM Identity Center administrators (the generated role name ends in a random
# suffix, hence the *). Use this environment's account id; a plan refuses another account's roles.
opensearch_admin_principal_arns = [
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
]

opensearch_config = {
  engine_version = "OpenSearch_2.19"
  instance_type  = "m6g.large.search"
  instance_count = 2 # zone-aware over both AZs; dedicated masters optional (dedicated_master_count = 3)
  volume_size    = 50
}

rds_config = {
  engine                = "postgres"
  engine_version        = "16"
  instance_class        = "db.m6g.large"
  allocated_storage     = 100
  max_allocated_storage = 500
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
  ecs_cpu_percent      = 80
  ecs_memory_percent   = 80
  alb_5xx_rate_percent = 2
  p99_latency_seconds  = 1.5
  rds_cpu_percent      = 75
  redis_cpu_percent    = 70
}
