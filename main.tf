data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # <environment>-<project>: every resource name starts with this (modules/conventions: the
  # pattern and how it is formed).
  name_prefix = format(module.conventions.name_prefix_format, var.environment, var.project_name)

  common_tags = merge(var.tags, {
    Environment = var.environment
    Project     = var.project_name
    ManagedBy   = "terraform"
  })

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The boundary `carcierge oidc bootstrap` creates in the environment's account: every role the
  # modules create carries it (the CI deploy role may create no other).
  permissions_boundary_arn = "arn:${local.partition}:iam::${var.aws_account_id}:policy/${local.name_prefix}-ci-boundary"

  # The services this environment runs: each one's shared facts from the catalog
  # (terraform.tfvars), this environment's defaults for every service, then what the
  # environment file says of the service itself; a later argument wins. modules/ecs checks the
  # result against its one declaration of the shape, and the input check reads this merge.
  services = {
    for key, differences in var.services : key => merge(lookup(var.service_catalog, key, {}), var.service_defaults, differences)
  }
}

# The environments and log retention values the variable validations check against.
module "conventions" {
  source = "./modules/conventions"
}

# The environment's customer-managed key: encrypts logs, secrets and data stores at rest.
module "kms" {
  source = "./modules/kms"

  name_prefix             = local.name_prefix
  name                    = "main"
  description             = "${local.name_prefix}-kms-main: encryption at rest for the ${var.environment} environment"
  deletion_window_in_days = var.kms_deletion_window_in_days
  cloudwatch_log_groups   = local.log_group_patterns
  cloudwatch_alarms       = true
}

locals {
  # Every log group the modules create, by name pattern (a test matches each planned group):
  # services and ECS Exec, VPC flow logs, Redis, OpenSearch (its domain may be renamed), RDS and
  # WAF. Built from names, not from the groups: the groups need the key first.
  log_group_patterns = [
    "/ecs/${local.name_prefix}-*",
    "/aws/vpc/${local.name_prefix}-*",
    "/aws/elasticache/${local.name_prefix}-*",
    "/aws/opensearch/${coalesce(var.opensearch_config.domain_name, "${local.name_prefix}-opensearch")}/*",
    "/aws/rds/instance/${local.name_prefix}-*",
    "aws-waf-logs-${local.name_prefix}",
  ]
}

# --- network ---

module "vpc" {
  source = "./modules/vpc"

  permissions_boundary_arn = local.permissions_boundary_arn

  name_prefix                = local.name_prefix
  vpc_cidr                   = var.vpc_cidr
  az_count                   = var.az_count
  nat_gateway_mode           = var.nat_gateway_mode
  enable_interface_endpoints = var.enable_interface_endpoints
  egress_allowed_domains     = var.egress_allowed_domains
  log_retention_days         = var.log_retention_days
  kms_key_arn                = module.kms.key_arn
  data_store_ports           = local.data_store_ports
}

module "security_groups" {
  source = "./modules/security_groups"

  name_prefix       = local.name_prefix
  vpc_id            = module.vpc.vpc_id
  vpc_cidr_block    = module.vpc.vpc_cidr_block
  alb_ingress_cidrs = var.alb_ingress_cidrs
  services          = { for name, service in module.ecs.services : name => { port = service.container_port, public = service.public, callers = service.callers } }
  data_store_ports  = local.data_store_ports
  log_delivery      = var.enable_log_delivery
}

# One source for each data-store port: the store's own module (redis_config.port and
# rds_config.port, else the module's default; OpenSearch's HTTPS 443). The security groups and
# the data tier's network ACL open exactly these.
locals {
  data_store_ports = {
    redis      = module.elasticache.port
    opensearch = module.opensearch.port
    rds        = module.rds.port
  }
}

# --- data stores ---

module "elasticache" {
  source = "./modules/elasticache"

  name_prefix         = local.name_prefix
  environment         = var.environment
  subnet_ids          = module.vpc.data_subnet_id_list
  security_group_id   = module.security_groups.redis_security_group_id
  kms_key_arn         = module.kms.key_arn
  log_retention_days  = var.log_retention_days
  deletion_protection = var.deletion_protection
  redis_config        = var.redis_config
  service_keys        = keys(local.services) # one Redis user each, on its own keys <key>:*
}

module "opensearch" {
  source = "./modules/opensearch"

  permissions_boundary_arn = local.permissions_boundary_arn

  name_prefix        = local.name_prefix
  environment        = var.environment
  subnet_ids         = module.vpc.data_subnet_id_list
  security_group_id  = module.security_groups.opensearch_security_group_id
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  opensearch_config  = var.opensearch_config

  # The operator task assumes the master role for `carcierge opensearch setup` (role mappings,
  # templates, ISM and snapshot policies need the security and index-management APIs).
  admin_principal_arns = concat(var.opensearch_admin_principal_arns, [local.ops_task_role_arn])
  pass_role_arns       = local.opensearch_snapshot_role_arns # ops.tf
  snapshot_replica     = local.backup_copies                 # backups.tf
  # The log pipelines' delivery role, in the domain's access policy (AWS's guide for pipelines
  # writing to a domain); the role exists before the policy names it.
  ingestion_role_arns = module.log_delivery[*].delivery_role_arn

  # Every service receives OPENSEARCH_ENDPOINT, so every task role may call the domain (SigV4);
  # fine-grained access control maps the roles to OpenSearch roles.
  access_roles = module.ecs.task_roles
}

module "rds" {
  source = "./modules/rds"

  permissions_boundary_arn = local.permissions_boundary_arn

  name_prefix         = local.name_prefix
  environment         = var.environment
  subnet_ids          = module.vpc.data_subnet_id_list
  security_group_id   = module.security_groups.rds_security_group_id
  kms_key_arn         = module.kms.key_arn
  log_retention_days  = var.log_retention_days
  deletion_protection = var.deletion_protection
  rds_config          = var.rds_config
  iam_database_users  = local.database_users # database.tf
  backup_replication  = local.backup_copies  # backups.tf
}

# --- service connection settings (data stores) ---

locals {
  # Non-secret connection settings of the data stores for every service (env var => value).
  service_connection_environment = merge(
    module.elasticache.connection_environment, # REDIS_HOST, REDIS_PORT, REDIS_TLS (users: below)
    module.opensearch.connection_environment,  # OPENSEARCH_ENDPOINT
    module.rds.connection_environment,         # DB_HOST, DB_PORT, DB_NAME, DB_IAM_AUTH
  )
  # Secrets of the data stores for every service (env var => Secrets Manager ARN[:json-key::]).
  service_connection_secrets = merge(
    module.rds.connection_secrets, # none: IAM tokens (database.tf); master secret is break-glass
  )
  # Each service's own identities: its database role (DB_USERNAME) and its Redis user
  # (REDIS_USERNAME), and its Redis password (REDIS_PASSWORD, a secret only its task reads).
  service_identity_environment = {
    for key in keys(local.services) : key => merge(module.rds.service_connection_environment[key], module.elasticache.user_environment[key])
  }
  service_identity_secrets = module.elasticache.user_secrets
}

# --- compute ---

module "ecs" {
  source = "./modules/ecs"

  permissions_boundary_arn = local.permissions_boundary_arn

  name_prefix                = local.name_prefix
  environment                = var.environment
  aws_region                 = var.aws_region
  vpc_id                     = module.vpc.vpc_id
  public_subnet_ids          = module.vpc.public_subnet_id_list
  private_subnet_ids         = module.vpc.private_subnet_id_list
  alb_security_group_id      = module.security_groups.alb_security_group_id
  service_security_group_ids = module.security_groups.service_security_group_ids
  kms_key_arn                = module.kms.key_arn
  log_retention_days         = var.log_retention_days
  alb_deletion_protection    = var.deletion_protection

  services = local.services
  # Each service's own database role and Redis user (above; database.tf) and connection settings.
  service_environment = local.service_identity_environment
  service_secrets     = local.service_identity_secrets
  shared_environment  = local.service_connection_environment
  shared_secrets      = local.service_connection_secrets

  ssl_certificate_arn      = var.ssl_certificate_arn
  domain_name              = var.domain_name
  route53_zone_id          = var.route53_zone_id
  waf_web_acl_arn          = var.waf_web_acl_arn
  create_waf               = var.enable_waf
  create_ecr_repositories  = var.create_ecr_repositories
  services_awaiting_images = var.services_awaiting_images

  enable_execute_command               = var.enable_ecs_exec
  service_steady_state_timeout_minutes = var.ecs_steady_state_timeout_minutes

  # The operator task (ops.tf below): post-apply commands inside the VPC.
  ops_task = {
    image            = var.ops_image
    environment      = local.ops_environment
    read_secret_arns = [module.rds.master_user_secret_arn]
    assume_role_arns = [module.opensearch.master_user_arn]
  }
  # The services wait for the operator task's set-up run (ops.tf): their database roles and
  # OpenSearch mappings exist before they are asked to be steady.
  services_after = terraform_data.ops_setup.id
}

# --- logs into OpenSearch ---

module "log_delivery" {
  source = "./modules/log_delivery"

  permissions_boundary_arn = local.permissions_boundary_arn
  count                    = var.enable_log_delivery ? 1 : 0

  name_prefix        = local.name_prefix
  environment        = var.environment
  log_retention_days = var.log_retention_days
  kms_key_arn        = module.kms.key_arn

  # Every service's log group and the VPC's flow log group, each its own daily indices
  # logs-<key>-yyyy.MM.dd; variables.tf refuses a service key that is a log source's key.
  sources = merge(module.ecs.log_group_names, {
    (module.conventions.log_sources.vpc_flow_logs) = module.vpc.flow_log_group_name
  })
  # The ALB's access-log bucket (modules/ecs) into logs-alb-yyyy.MM.dd; the module creates the
  # bucket's one event notification (modules/log_delivery/alb.tf says why there).
  alb_access_logs = {
    bucket = module.ecs.alb_access_logs_bucket
    prefix = module.ecs.alb_access_logs_prefix
  }

  opensearch_domain_arn = module.opensearch.domain_arn
  opensearch_endpoint   = module.opensearch.endpoint
  subnet_ids            = module.vpc.private_subnet_id_list
  security_group_id     = module.security_groups.log_delivery_security_group_id
}

# --- monitoring ---

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix  = local.name_prefix
  aws_region   = var.aws_region
  kms_key_arn  = module.kms.key_arn
  alert_emails = var.alert_emails
  thresholds   = var.alarm_thresholds

  ecs = {
    cluster_name = module.ecs.cluster_name
    services     = module.ecs.service_names
  }
  alb = {
    arn_suffix                = module.ecs.alb_arn_suffix
    target_group_arn_suffixes = { for key, group in module.ecs.target_groups : key => group.arn_suffix }
  }
  rds   = { identifier = module.rds.identifier }
  redis = { replication_group_id = module.elasticache.replication_group_id, node_count = var.redis_config.num_cache_nodes }
  opensearch = {
    domain_name    = module.opensearch.domain_name
    instance_count = var.opensearch_config.instance_count
  }
}
