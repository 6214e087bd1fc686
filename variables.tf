variable "environment" {
  description = "Deployment environment; selects sizing and protection. One of staging, qa, uat, prod."
  type        = string

  validation {
    condition     = contains(module.conventions.environments, var.environment)
    error_message = "environment must be one of ${join(", ", module.conventions.environments)}; got \"${var.environment}\"."
  }
}

variable "project_name" {
  description = "Project name used in every resource name: <environment>-<project_name>-<resource>[-<subresource>]."
  type        = string

  validation {
    # The longest name built from it: the log pipeline staging-<project_name>-logs-alb, which
    # OpenSearch Ingestion limits to 28 characters (modules/log_delivery); the same project
    # name serves every environment, staging's prefix is the longest.
    condition     = can(regex(module.conventions.project_name_pattern, var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 11
    error_message = "project_name must be 2-11 lowercase letters or digits, starting with a letter (the longest name built from it, the log pipeline staging-<project_name>-logs-alb, is limited to 28 characters); got \"${var.project_name}\"."
  }

}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as us-west-1; got \"${var.aws_region}\"."
  }
}

variable "tags" {
  description = "Extra tags applied to every resource (on top of Environment, Project and ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the environment KMS key is deleted (7-30 days)."
  type        = number

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number of days from 7 to 30 (KMS's range); got ${var.kms_deletion_window_in_days}."
  }
}

# --- backups and logs --------------------------------------------------------------------

variable "enable_cross_region_backups" {
  description = "Copy backups to backup_region: RDS automated backups (point-in-time restore there) and the OpenSearch manual snapshot bucket, each encrypted with a KMS key of that region. On in prod."
  type        = bool
}

variable "backup_region" {
  description = "Second region of the cross-region backup copies (enable_cross_region_backups), e.g. us-east-1; never aws_region. RDS replicates automated backups only between some region pairs: the real-mode pre-flight asks RDS (DescribeSourceRegions in backup_region) and refuses an unsupported pair before Terraform starts."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.backup_region)) && var.backup_region != var.aws_region
    error_message = "backup_region must be an AWS region code other than aws_region (${var.aws_region}), e.g. us-east-1; got \"${var.backup_region}\"."
  }

  validation {
    # The manual snapshot buckets <env>-<project>-opensearch-snapshots-<12-digit account>-<region>
    # in aws_region and here (modules/opensearch snapshots.tf, snapshot_replication.tf): S3
    # allows 63 characters, which a long project name in a long region passes. Checked here, not
    # on project_name, so that a bad project_name or aws_region still shows its own message.
    condition = alltrue([for region in [var.aws_region, var.backup_region] :
      length("${var.environment}-${var.project_name}-opensearch-snapshots-000000000000-${region}") <= 63
    ])
    error_message = "The OpenSearch snapshot buckets ${var.environment}-${var.project_name}-opensearch-snapshots-<account>-<region> would have ${max([for region in [var.aws_region, var.backup_region] : length("${var.environment}-${var.project_name}-opensearch-snapshots-000000000000-${region}")]...)} characters in ${var.aws_region} or ${var.backup_region}; S3 allows 63: shorten project_name or choose a region with a shorter code."
  }
}

variable "enable_log_delivery" {
  description = "Stream every service's log group into the OpenSearch domain (modules/log_delivery: subscription filters, Firehose streams, an S3 staging bucket, an OpenSearch Ingestion pipeline writing daily indices logs-<service>-yyyy.MM.dd). On in every environment; off saves its cost (see docs/cost.md)."
  type        = bool
}

# --- shared across modules ------------------------------------------------------------

variable "log_retention_days" {
  description = "CloudWatch Logs retention for every log group of the environment, in days (a value CloudWatch accepts)."
  type        = number

  validation {
    condition     = contains(module.conventions.log_retention_days, var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values: ${join(", ", module.conventions.log_retention_days)}; got ${var.log_retention_days}."
  }
}

variable "deletion_protection" {
  description = "Protect stateful resources (RDS, ALB, OpenSearch, Redis final snapshot) from deletion; on in uat and prod."
  type        = bool

  validation {
    # Decommissioning uat or prod is deliberate work outside this switch (modules/rds/README.md).
    condition     = var.deletion_protection || !contains(["uat", "prod"], var.environment)
    error_message = "deletion_protection must be true in uat and prod (it protects RDS and the ALB and keeps final snapshots); it may be false only in staging and qa; got false for ${var.environment}."
  }
}

# --- network --------------------------------------------------------------------------
# A setting passed unchanged to one module is checked by that module (its variables.tf), not
# again here; the plan stage still names the environment file's line (inputs.error_locator).

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the environment's VPC, /16 to /20; distinct per environment (staging 10.10/16, qa 10.20/16, uat 10.30/16, prod 10.40/16)."
  type        = string
}

variable "az_count" {
  description = "Availability zones to use: 2 or 3 (us-west-1 offers 2 in most accounts)."
  type        = number
}

variable "nat_gateway_mode" {
  description = "NAT gateways: \"single\" (one shared; staging, qa) or \"per_az\" (one per AZ; uat, prod)."
  type        = string
}

variable "enable_interface_endpoints" {
  description = "Create interface VPC endpoints (ecr.api, ecr.dkr, logs, secretsmanager, sts); they cost money, so off in staging and qa, on in uat and prod."
  type        = bool
}

variable "egress_allowed_domains" {
  description = "The tasks' DNS allow-list (Route 53 Resolver DNS Firewall on the VPC, modules/vpc): internet names the services may resolve besides this region's AWS names, e.g. [\"api.stripe.com\", \"*.example.com\"]; every other name gets NXDOMAIN. null: no DNS Firewall (staging, qa). Required where deletion_protection is on (uat, prod). Set in every environment file."
  type        = list(string)

  validation {
    condition     = var.egress_allowed_domains != null || !var.deletion_protection
    error_message = "egress_allowed_domains must be set (a list, [] for AWS names only) where deletion_protection is true (uat, prod): a protected environment's tasks resolve only allow-listed names; got null."
  }
}

variable "alb_ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on 443 and 80; [\"0.0.0.0/0\"] for a public ALB."
  type        = list(string)

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for cidr in var.alb_ingress_cidrs : can(cidrnetmask(cidr)) && try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "alb_ingress_cidrs must be a non-empty list of IPv4 network addresses in CIDR notation, such as [\"0.0.0.0/0\"] or [\"203.0.113.0/24\"]; got [${join(", ", var.alb_ingress_cidrs)}]."
  }

  validation {
    # Aligned blocks overlap exactly when they agree on the shorter prefix. A repeated block
    # would be a duplicate security group rule (AWS refuses those).
    condition = try(alltrue(flatten([for i, a in var.alb_ingress_cidrs : [for j, b in var.alb_ingress_cidrs :
      j <= i || cidrhost("${cidrhost(a, 0)}/${min(split("/", a)[1], split("/", b)[1])}", 0) != cidrhost("${cidrhost(b, 0)}/${min(split("/", a)[1], split("/", b)[1])}", 0)
    ]])), true)
    error_message = "alb_ingress_cidrs must not repeat or overlap (list each address range once: [\"0.0.0.0/0\"] alone, or disjoint blocks such as [\"203.0.113.0/24\", \"198.51.100.0/24\"]); overlapping: ${join(", ", try(flatten([for i, a in var.alb_ingress_cidrs : [for j, b in var.alb_ingress_cidrs : "${a} and ${b}" if j > i && cidrhost("${cidrhost(a, 0)}/${min(split("/", a)[1], split("/", b)[1])}", 0) == cidrhost("${cidrhost(b, 0)}/${min(split("/", a)[1], split("/", b)[1])}", 0)]]), []))}."
  }
}

# --- compute (ecs) --------------------------------------------------------------------

variable "service_catalog" {
  description = "What every environment shares about each service, keyed by service name (set once, in terraform.tfvars): its port, routing, health check and task size, any attribute of modules/ecs's services shape. An environment runs the services its own services map names, each merged from its catalog entry, the environment's service_defaults and its own entry there (docs/runbooks/add-service.md)."
  # any: the shape's one declaration is modules/ecs's; the input check reads it there.
  type     = any
  nullable = false
}

variable "service_defaults" {
  description = "This environment's values for every service it runs, unless the service's own entry in services says otherwise: its counts, capacities and Spot share. It may not set what the catalog (service_catalog) says of a service: that belongs to the service, so an environment changes it per service. Set in every environment file."
  type        = any
  nullable    = false

  validation {
    condition     = length(setintersection(keys(var.service_defaults), flatten([for entry in values(var.service_catalog) : keys(entry)]))) == 0
    error_message = "service_defaults must not set what the service catalog (service_catalog, terraform.tfvars) sets for a service; set it for that service in services.<key> instead; got: ${join(", ", sort(setintersection(keys(var.service_defaults), flatten([for entry in values(var.service_catalog) : keys(entry)]))))}."
  }
}

variable "services" {
  description = "The services this environment runs, keyed by their catalog name (service_catalog, terraform.tfvars), each with what only this environment says of it: container_image at least, and any attribute whose value here differs from the catalog's or from service_defaults. The root merges the three (main.tf, local.services) and passes the result to modules/ecs, which declares the shape once (attributes, defaults and validations: modules/ecs/variables.tf, variable \"services\"; the list in modules/ecs/README.md). The input check (carcierge_pipeline/inputs.py) reads that declaration and the merge too, so an unknown or mistyped attribute is refused before Terraform runs."
  # any: the one declaration of the type is the module's; the root reads the attributes, defaults
  # applied, from module.ecs.services (main.tf).
  type     = any
  nullable = false

  validation {
    condition     = length(setsubtract(keys(var.services), keys(var.service_catalog))) == 0
    error_message = "services keys must be services of the catalog (service_catalog in terraform.tfvars, what every environment shares about a service): add its entry there first (docs/runbooks/add-service.md); got: ${join(", ", sort(setsubtract(keys(var.services), keys(var.service_catalog))))}."
  }
}

variable "ssl_certificate_arn" {
  description = "ACM certificate of the ALB's HTTPS listener; it must be in aws_region and cover domain_name."
  type        = string
}

variable "domain_name" {
  description = "Optional DNS name of the application (an alias A record to the ALB in route53_zone_id); null for none."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name; null for none."
  type        = string
  default     = null
}

variable "create_ecr_repositories" {
  description = "Create one ECR repository per service (<env>-carcierge-<service>). Off: the product spec assumes the images are already in ECR."
  type        = bool
}

variable "enable_ecs_exec" {
  description = "ECS Exec (a shell in running containers through `aws ecs execute-command`) on every service. Off in uat and prod: a session sees the container's secrets and task role; on in staging and qa for debugging. When off, services refuse exec and task roles get no ssmmessages permissions."
  type        = bool
}

variable "ecs_steady_state_timeout_minutes" {
  description = "How long an apply waits for each ECS service to reach a steady state (new tasks running and healthy) after a create or update before the apply fails, in minutes (5-120)."
  type        = number

  validation {
    condition     = var.ecs_steady_state_timeout_minutes >= 5 && var.ecs_steady_state_timeout_minutes <= 120 && floor(var.ecs_steady_state_timeout_minutes) == var.ecs_steady_state_timeout_minutes
    error_message = "ecs_steady_state_timeout_minutes must be a whole number of minutes from 5 to 120; got ${var.ecs_steady_state_timeout_minutes}."
  }
}

variable "enable_waf" {
  description = "Create a WAFv2 web ACL for the ALB (AWS managed rule groups for IP reputation, common exploits and known bad inputs, plus a per-IP rate limit; logged to aws-waf-logs-<env>-carcierge). On in uat and prod. Conflicts with waf_web_acl_arn, the bring-your-own option."
  type        = bool
}

variable "waf_web_acl_arn" {
  description = "Bring-your-own regional WAFv2 web ACL to associate with the ALB; null for none. Conflicts with enable_waf."
  type        = string
  default     = null

  # The format is checked here too, not only in modules/ecs: the conflict below fails first
  # wherever enable_waf is on, and Terraform then skips the module's checks of the value.
  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+$", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); got \"${coalesce(var.waf_web_acl_arn, "null")}\"."
  }

  validation {
    condition     = !(var.enable_waf && var.waf_web_acl_arn != null)
    error_message = "waf_web_acl_arn and enable_waf conflict: set enable_waf = true for the project's own web ACL, or waf_web_acl_arn to associate an existing one, not both."
  }

  validation {
    # Every ALB that faces the internet sits behind a web ACL, and uat and prod always do
    # (review 2026-12-07 L2): a one-line change to an environment file cannot remove it.
    condition     = var.enable_waf || var.waf_web_acl_arn != null || (!contains(module.conventions.protected_environments, var.environment) && !contains(var.alb_ingress_cidrs, "0.0.0.0/0"))
    error_message = "enable_waf must be true (or waf_web_acl_arn set) in ${join(" and ", module.conventions.protected_environments)} and wherever alb_ingress_cidrs includes 0.0.0.0/0: an ALB facing the internet sits behind a web ACL; got neither in ${var.environment}."
  }
}

# --- data stores ----------------------------------------------------------------------
# Types only here; defaults and validations live in the modules (modules/<store>/variables.tf),
# so an omitted optional field takes the module's default.

variable "rds_config" {
  description = "PostgreSQL (modules/rds): the product spec's engine, engine_version (prefer a major such as \"16\"; a pinned minor must be one RDS still creates, e.g. not the spec's \"14.9\"), instance_class, allocated_storage, database_name, username; optional max_allocated_storage, multi_az, backup_retention_period (default 7), backup_window, maintenance_window, skip_final_snapshot, performance_insights, monitoring_interval, apply_immediately, port, parameters."
  type = object({
    engine                  = string
    engine_version          = string
    instance_class          = string
    allocated_storage       = number
    database_name           = string
    username                = string
    max_allocated_storage   = optional(number)
    multi_az                = optional(bool)
    backup_retention_period = optional(number)
    backup_window           = optional(string)
    maintenance_window      = optional(string)
    skip_final_snapshot     = optional(bool)
    performance_insights    = optional(bool)
    monitoring_interval     = optional(number)
    apply_immediately       = optional(bool)
    port                    = optional(number)
    parameters              = optional(map(string))
  })
}

variable "opensearch_config" {
  description = "OpenSearch (modules/opensearch): the product spec's engine_version (OpenSearch_X.Y, a version the service still offers, e.g. OpenSearch_2.19), instance_type (.search), instance_count (2+ = zone-aware), volume_size (GiB); optional availability_zone_count, dedicated_master_count/type, volume_iops/throughput, off_peak_start_hour, master_user_arn, domain_name."
  type = object({
    engine_version          = string
    instance_type           = string
    instance_count          = number
    volume_size             = number
    availability_zone_count = optional(number)
    dedicated_master_count  = optional(number)
    dedicated_master_type   = optional(string)
    volume_iops             = optional(number)
    volume_throughput       = optional(number)
    off_peak_start_hour     = optional(number)
    master_user_arn         = optional(string)
    domain_name             = optional(string)
  })
}

variable "opensearch_admin_principal_arns" {
  description = "IAM roles that may assume the OpenSearch master role (<env>-carcierge-opensearch-admin, all_access in the domain): role ARNs of this account, where * in the role name matches the generated suffix of IAM Identity Center roles (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_<permission-set>_*). Required while opensearch_config.master_user_arn is unset; no other principal of the account may assume the role."
  type        = list(string)

  validation {
    # A role name made only of * and / (role/*) would trust every role of the account again.
    condition     = alltrue([for arn in var.opensearch_admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/*-]+$", arn)) && !can(regex(":role/[*/]*$", arn))])
    error_message = "opensearch_admin_principal_arns must be IAM role ARNs such as arn:aws:iam::123456789012:role/carcierge-admin or arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_* (a * may stand for part of a role name, never for all of it); got: ${join(", ", [for arn in var.opensearch_admin_principal_arns : "\"${arn}\"" if !(can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/*-]+$", arn)) && !can(regex(":role/[*/]*$", arn)))])}."
  }

  validation {
    condition     = var.opensearch_config.master_user_arn != null || length(var.opensearch_admin_principal_arns) > 0
    error_message = "opensearch_admin_principal_arns must name at least one admin role while opensearch_config.master_user_arn is unset: the module's master role (all_access) trusts only these roles."
  }
}

variable "redis_config" {
  description = "Redis (modules/elasticache): node_type, num_cache_nodes (2+ = Multi-AZ with automatic failover), engine_version (major.minor, 7.0+); optional engine, port, parameters, snapshot_retention_limit, snapshot_window, maintenance_window, apply_immediately, skip_final_snapshot, password_version (bump to rotate the services' Redis user passwords: docs/runbooks/rotate-redis-token.md). Set in every environment file."
  type = object({
    node_type                = string
    num_cache_nodes          = number
    engine_version           = string
    engine                   = optional(string)
    port                     = optional(number)
    parameters               = optional(map(string))
    snapshot_retention_limit = optional(number)
    snapshot_window          = optional(string)
    maintenance_window       = optional(string)
    apply_immediately        = optional(bool)
    skip_final_snapshot      = optional(bool)
    password_version         = optional(number)
  })
}

# --- operator task --------------------------------------------------------------------

variable "ops_image" {
  description = "Image of the operator task <env>-carcierge-ops (post-apply commands inside the VPC: `carcierge db roles`, `carcierge opensearch setup`): the CI image built from ci/Dockerfile, pushed to this account's ECR, by immutable tag and/or digest, e.g. 123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-ops:1.0.0. Set in every environment file."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr(-fips)?\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$", var.ops_image)) && can(regex("(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.ops_image)) && !endswith(var.ops_image, ":latest")
    error_message = "ops_image must be an ECR image reference with an immutable version tag or a digest, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>[@sha256:<digest>], not :latest (the task pulls from ECR with the execution role); got \"${var.ops_image}\"."
  }

  validation {
    # The operator task holds the RDS master secret and assumes the OpenSearch admin role: in
    # uat and prod it runs only the image whose digest was reviewed (review 2026-12-07 M4).
    condition     = !contains(module.conventions.protected_environments, var.environment) || can(regex(module.conventions.image_digest_pattern, var.ops_image))
    error_message = "ops_image must be pinned by digest (<repository>[:<tag>]@sha256:<64 hex digits>) in ${join(" and ", module.conventions.protected_environments)}: the operator task holds the database master secret, and a tag can be moved to another image; got \"${var.ops_image}\" in ${var.environment}."
  }
}

# --- monitoring -----------------------------------------------------------------------

variable "alert_emails" {
  description = "Email addresses subscribed to the <env>-carcierge-alerts topic; each must confirm by email. Empty: no subscription (attach a chat or paging integration to the topic instead)."
  type        = set(string)
  default     = []
}

variable "alarm_thresholds" {
  description = "Alarm thresholds by name, overriding the monitoring module's defaults: evaluation_periods, ecs_cpu_percent, ecs_memory_percent, alb_5xx_rate_percent, target_5xx_count, p99_latency_seconds, rds_cpu_percent, rds_free_storage_gb, rds_freeable_memory_mb, rds_connections, redis_cpu_percent, redis_memory_percent, redis_evictions, redis_replication_lag_seconds, opensearch_free_storage_gb, opensearch_jvm_pressure. Lower environments relax them; prod is strict."
  type        = map(number)

  validation {
    # A misspelt name would otherwise be dropped silently and the module's default used.
    condition     = alltrue([for name in keys(var.alarm_thresholds) : contains(["evaluation_periods", "ecs_cpu_percent", "ecs_memory_percent", "alb_5xx_rate_percent", "target_5xx_count", "p99_latency_seconds", "rds_cpu_percent", "rds_free_storage_gb", "rds_freeable_memory_mb", "rds_connections", "redis_cpu_percent", "redis_memory_percent", "redis_evictions", "redis_replication_lag_seconds", "opensearch_free_storage_gb", "opensearch_jvm_pressure"], name)])
    error_message = "alarm_thresholds keys must be threshold names out of evaluation_periods, ecs_cpu_percent, ecs_memory_percent, alb_5xx_rate_percent, target_5xx_count, p99_latency_seconds, rds_cpu_percent, rds_free_storage_gb, rds_freeable_memory_mb, rds_connections, redis_cpu_percent, redis_memory_percent, redis_evictions, redis_replication_lag_seconds, opensearch_free_storage_gb, opensearch_jvm_pressure; unknown: ${join(", ", [for name in keys(var.alarm_thresholds) : name if !contains(["evaluation_periods", "ecs_cpu_percent", "ecs_memory_percent", "alb_5xx_rate_percent", "target_5xx_count", "p99_latency_seconds", "rds_cpu_percent", "rds_free_storage_gb", "rds_freeable_memory_mb", "rds_connections", "redis_cpu_percent", "redis_memory_percent", "redis_evictions", "redis_replication_lag_seconds", "opensearch_free_storage_gb", "opensearch_jvm_pressure"], name)])}."
  }

  validation {
    condition     = alltrue([for name, value in var.alarm_thresholds : (endswith(name, "_percent") || name == "opensearch_jvm_pressure") ? value > 0 && value <= 100 : name == "evaluation_periods" ? value >= 1 && value <= 10 && floor(value) == value : value >= 0])
    error_message = "alarm_thresholds values must be percentages above 0 and at most 100 for *_percent and opensearch_jvm_pressure, a whole number of periods from 1 to 10 for evaluation_periods, and at least 0 otherwise; got: ${join(", ", [for name, value in var.alarm_thresholds : "${name} = ${value}" if !((endswith(name, "_percent") || name == "opensearch_jvm_pressure") ? value > 0 && value <= 100 : name == "evaluation_periods" ? value >= 1 && value <= 10 && floor(value) == value : value >= 0)])}."
  }
}

variable "services_awaiting_images" {
  description = "Keys of services not started yet because their image is not pushed: set in an environment file only for the first stage of a staged deployment (create_ecr_repositories = true: a new service's repository comes from that apply and holds no image yet); push the images, then remove the keys. The plan gate refuses a plan that creates a repository and a service whose image is in it (docs/first-deployment.md). Listing a running service removes it."
  type        = set(string)
  default     = []
}

variable "aws_account_id" {
  description = "The AWS account this environment deploys into (12 digits). One account per environment is the default (docs/setup.md); the provider refuses credentials of any other account (allowed_account_ids), and `carcierge oidc bootstrap` derives the environment's CI roles from it."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be a 12-digit AWS account id such as 111122223333; got \"${var.aws_account_id}\"."
  }
}
