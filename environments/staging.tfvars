# staging: deployed from branch main.
environment = "staging"
aws_region  = "us-west-1"
# The AWS account of this environment (a placeholder from AWS's documentation until set up;
# docs/setup.md): the provider refuses any other account.
aws_account_id = "111122223333"

kms_deletion_window_in_days = 7

# Shared
log_retention_days  = 14
deletion_protection = false

# Backups and logs
# Cross-region copies off (cost); staging's data may be lost.
enable_cross_region_backups = false
backup_region               = "us-east-1"
# Logs into OpenSearch: every service's log group, daily indices logs-<service>-yyyy.MM.dd.
enable_log_delivery = true

# Network
vpc_cidr                   = "10.10.0.0/16"
az_count                   = 2
nat_gateway_mode           = "single"
enable_interface_endpoints = false
# No DNS Firewall: the tasks may resolve any name (cost; uat and prod allow-list them).
egress_allowed_domains = null
alb_ingress_cidrs      = ["0.0.0.0/0"]

# Compute: the ALB's certificate (ACM, in aws_region; a placeholder until the real one exists),
# optional DNS alias, WAF and ECR repositories.
ssl_certificate_arn     = "arn:aws:acm:us-west-1:123456789012:certificate/00000000-0000-4000-8000-000000000001"
create_ecr_repositories = false
# ECS Exec on for debugging (`aws ecs execute-command`); never in uat or prod.
enable_ecs_exec = true
# An apply waits up to this long for every service to settle.
ecs_steady_state_timeout_minutes = 15
# domain_name     = "staging.carcierge.example.com"
# route53_zone_id = "Z0123456789ABCDEFGHIJ"
# WAF: the ALB is open to the internet (alb_ingress_cidrs), so it sits behind the project's
# web ACL like uat and prod (a validation requires it; cost: `carcierge analyse cost`). Narrow
# alb_ingress_cidrs to private ranges to go without. Alternatively
# waf_web_acl_arn = "arn:aws:wafv2:us-west-1:123456789012:regional/webacl/<name>/<id>"
enable_waf = true

# Services: the five Carcierge sub-projects, from the catalog (service_catalog in terraform.tfvars:
# ports, routing, task sizes), with what differs here. service_defaults: every service's counts
# and capacities unless its entry in services says otherwise.
# spot = share of tasks on FARGATE_SPOT (%): high here, interruptions are acceptable.
service_defaults = {
  desired_count = 1
  min_capacity  = 1
  max_capacity  = 2
  spot          = 100
}

# Images must exist in ECR before a real apply.
services = {
  service1 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0" }
  service2 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service2:1.0.0" }
  service3 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service3:1.0.0" }
  service4 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service4:1.0.0" }
  service5 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service5:1.0.0" }
}

# Data stores: one small Redis node, one small OpenSearch data node, single-AZ RDS (cost).
# Deletion protection and final snapshots follow deletion_protection / skip_final_snapshot;
# no secret values here: RDS and Terraform generate them into Secrets Manager.
redis_config = {
  node_type                = "cache.t4g.micro"
  num_cache_nodes          = 1
  engine_version           = "7.1"
  snapshot_retention_limit = 1
  apply_immediately        = true
  skip_final_snapshot      = true # explicit: staging's cache may be lost on destroy
}

# Roles that may assume <env>-carcierge-opensearch-admin (all_access in the domain): the
# account's IAM Identity Center administrators (the generated role name ends in a random
# suffix, hence the *). Use this environment's account id; a plan refuses another account's roles.
opensearch_admin_principal_arns = [
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
]

opensearch_config = {
  engine_version = "OpenSearch_2.19"
  instance_type  = "t3.small.search"
  instance_count = 1
  volume_size    = 20
}

rds_config = {
  engine                = "postgres"
  engine_version        = "16"
  instance_class        = "db.t4g.micro"
  allocated_storage     = 20
  max_allocated_storage = 50
  database_name         = "carcierge"
  username              = "carcierge_user"
  multi_az              = false
  apply_immediately     = true
  skip_final_snapshot   = true # explicit: staging's data may be lost on destroy

  # Explicit (the module's defaults) so that checkov, which does not apply optional() defaults,
  # sees backups, Performance Insights and enhanced monitoring on.
  backup_retention_period = 7
  performance_insights    = true
  monitoring_interval     = 60
}

# Operator task (post-apply commands inside the VPC): the CI image (ci/Dockerfile) in ECR
ops_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops:1.0.0"

# Monitoring (alert e-mails: never committed; the ALERT_EMAILS CI/CD variable, README "Variables")
alarm_thresholds = {
  evaluation_periods   = 5
  ecs_cpu_percent      = 90
  ecs_memory_percent   = 90
  alb_5xx_rate_percent = 10
  p99_latency_seconds  = 5
  rds_cpu_percent      = 90
  redis_cpu_percent    = 90
}
