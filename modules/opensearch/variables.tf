# --- naming and placement -------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge. The domain is <name_prefix>-opensearch unless opensearch_config.domain_name is set."
  type        = string
}

variable "environment" {
  description = "Deployment environment: staging, qa, uat or prod (used in descriptions)."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets in AZ order. A single-node domain uses the first; a zone-aware domain uses the first availability_zone_count subnets (one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must list at least one data subnet; got none."
  }
}

variable "security_group_id" {
  description = "Security group of the domain's VPC endpoints (HTTPS in from the services only)."
  type        = string
}

variable "kms_key_arn" {
  description = "Environment KMS key (ARN): encrypts the domain at rest and its log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the slow-log, error-log and audit-log groups, in days (a value CloudWatch accepts)."
  type        = number
}

variable "ingestion_role_arns" {
  description = "Roles OpenSearch Ingestion pipelines write into the domain with (the log_delivery module's delivery role): in the domain's access policy with the write actions only (GET, HEAD, POST, PUT), as AWS's guide for pipelines writing to a domain asks; their identity policy is their own module's. Fine-grained access control then maps them (carcierge opensearch setup)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.ingestion_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "ingestion_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "access_roles" {
  description = "IAM roles that call the domain (the services' ECS task roles), keyed by a stable name: arn goes into the domain's access policy, and the role named name gets an inline policy allowing HTTP requests to this domain. The master role is always allowed; fine-grained access control then decides what each role may do (map the roles to OpenSearch roles in the security plugin)."
  type = map(object({
    arn  = string
    name = string
  }))
  default = {}

  validation {
    condition     = alltrue([for role in values(var.access_roles) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", role.arn))])
    error_message = "access_roles.*.arn must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "admin_principal_arns" {
  description = "IAM roles of this account that may assume the master role the module creates (all_access in the domain): role ARNs, where * inside a role name matches a generated suffix such as that of IAM Identity Center roles (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*). Required unless opensearch_config.master_user_arn is set."
  type        = list(string)
  default     = []

  validation {
    # A role name made only of * and / (role/*) would trust every role of the account again.
    condition     = alltrue([for arn in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/*-]+$", arn)) && !can(regex(":role/[*/]*$", arn))])
    error_message = "admin_principal_arns must be IAM role ARNs such as arn:aws:iam::123456789012:role/carcierge-admin (a * may stand for part of a role name, never for all of it)."
  }
}

variable "pass_role_arns" {
  description = "IAM roles the master role may pass to OpenSearch Service (iam:PassRole), e.g. the role of a manual snapshot repository in S3, which registering the repository requires of the signing principal (OpenSearch Service Developer Guide, \"Registering a manual snapshot repository\"). Empty: none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.pass_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "pass_role_arns must be IAM role ARNs such as arn:aws:iam::123456789012:role/prod-carcierge-opensearch-snapshots (no wildcards)."
  }
}

variable "tags" {
  description = "Extra tags on every resource of the module (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

# --- the domain -----------------------------------------------------------------------

variable "opensearch_config" {
  description = "OpenSearch domain. The product spec's fields: engine_version (\"OpenSearch_X.Y\", a version the service still creates domains with: see engine_versions.tf), instance_type (<family>.<size>.search), instance_count (data nodes; 2 or more makes the domain zone-aware over availability_zone_count AZs, so the count must be a multiple of it), volume_size (GiB of gp3 per data node, 10-16384; t3.small.search allows at most 100). Optional: availability_zone_count (2 or 3), dedicated_master_count (0 = none, else 3 or 5) and dedicated_master_type, volume_iops / volume_throughput (gp3 baseline 3000 / 125 by default), off_peak_start_hour (UTC start of the 10-hour window for service software updates and Auto-Tune), master_user_arn (IAM principal mapped to the all_access role; default: a <name_prefix>-opensearch-admin role this module creates), domain_name (override of <name_prefix>-opensearch; 3-28 characters). T2 types are refused: they support neither encryption at rest nor fine-grained access control."
  type = object({
    engine_version          = string
    instance_type           = string
    instance_count          = number
    volume_size             = number
    availability_zone_count = optional(number, 2)
    dedicated_master_count  = optional(number, 0)
    dedicated_master_type   = optional(string)
    volume_iops             = optional(number, 3000)
    volume_throughput       = optional(number, 125)
    off_peak_start_hour     = optional(number, 6)
    master_user_arn         = optional(string)
    domain_name             = optional(string)
  })

  validation {
    condition     = can(regex("^OpenSearch_[0-9]+\\.[0-9]+$", var.opensearch_config.engine_version))
    error_message = "opensearch_config.engine_version must be OpenSearch_<major>.<minor>, e.g. \"OpenSearch_2.19\"; got \"${var.opensearch_config.engine_version}\"."
  }

  validation {
    # Only versions the service still creates domains with (the table in engine_versions.tf,
    # read 2026-12-01).
    condition = !can(regex("^OpenSearch_[0-9]+\\.[0-9]+$", var.opensearch_config.engine_version)) || contains(local.opensearch_creatable_versions, var.opensearch_config.engine_version) || try(
      tonumber(split(".", trimprefix(var.opensearch_config.engine_version, "OpenSearch_"))[0]) * 1000 + tonumber(split(".", var.opensearch_config.engine_version)[1]) > local.opensearch_newest_listed,
      false
    )
    error_message = "opensearch_config.engine_version \"${var.opensearch_config.engine_version}\" is not a version Amazon OpenSearch Service creates domains with (OpenSearch 1.0-1.2 and 2.3-2.9 are past their end of support; read 2026-12-01); use one of ${join(", ", local.opensearch_creatable_versions)} (OpenSearch_2.19 is the environments' choice)."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*\\.[0-9]*[a-z]+\\.search$", var.opensearch_config.instance_type))
    error_message = "opensearch_config.instance_type must be an OpenSearch instance type ending in .search, e.g. \"t3.small.search\" or \"m7g.large.search\"; got \"${var.opensearch_config.instance_type}\"."
  }

  validation {
    condition     = !can(regex("^(t2|m3|r3)\\.", var.opensearch_config.instance_type))
    error_message = "opensearch_config.instance_type must not be a t2, m3 or r3 type: they support neither encryption at rest nor fine-grained access control (the smallest type that does is t3.small.search); got \"${var.opensearch_config.instance_type}\"."
  }

  validation {
    condition     = var.opensearch_config.instance_count >= 1 && floor(var.opensearch_config.instance_count) == var.opensearch_config.instance_count && (!startswith(var.opensearch_config.instance_type, "t3.") || var.opensearch_config.instance_count <= 10)
    error_message = "opensearch_config.instance_count must be a whole number of at least 1 (and at most 10 with t3 types); got ${var.opensearch_config.instance_count}."
  }

  validation {
    condition     = contains([2, 3], var.opensearch_config.availability_zone_count)
    error_message = "opensearch_config.availability_zone_count must be 2 or 3; got ${var.opensearch_config.availability_zone_count}."
  }

  validation {
    condition     = var.opensearch_config.instance_count == 1 || var.opensearch_config.instance_count % var.opensearch_config.availability_zone_count == 0
    error_message = "opensearch_config.instance_count must be 1 or a multiple of availability_zone_count (${var.opensearch_config.availability_zone_count}) so zone awareness can spread the data nodes evenly; got ${var.opensearch_config.instance_count}."
  }

  validation {
    condition     = var.opensearch_config.volume_size >= 10 && var.opensearch_config.volume_size <= 16384 && floor(var.opensearch_config.volume_size) == var.opensearch_config.volume_size && (var.opensearch_config.instance_type != "t3.small.search" || var.opensearch_config.volume_size <= 100)
    error_message = "opensearch_config.volume_size must be a whole number of GiB from 10 to 16384 (at most 100 on t3.small.search); got ${var.opensearch_config.volume_size}."
  }

  validation {
    condition     = contains([0, 3, 5], var.opensearch_config.dedicated_master_count) && (var.opensearch_config.dedicated_master_count == 0 || can(regex("^[a-z][a-z0-9]*\\.[0-9]*[a-z]+\\.search$", var.opensearch_config.dedicated_master_type)))
    error_message = "opensearch_config.dedicated_master_count must be 0 (none), 3 or 5, and dedicated_master_type must name a .search instance type when it is not 0."
  }

  validation {
    condition     = var.opensearch_config.volume_iops >= 3000 && var.opensearch_config.volume_throughput >= 125
    error_message = "opensearch_config.volume_iops must be at least 3000 and volume_throughput at least 125 MiB/s (the gp3 baseline)."
  }

  validation {
    condition     = var.opensearch_config.off_peak_start_hour >= 0 && var.opensearch_config.off_peak_start_hour <= 23 && floor(var.opensearch_config.off_peak_start_hour) == var.opensearch_config.off_peak_start_hour
    error_message = "opensearch_config.off_peak_start_hour must be a whole UTC hour from 0 to 23; got ${var.opensearch_config.off_peak_start_hour}."
  }

  validation {
    condition     = var.opensearch_config.domain_name == null || can(regex("^[a-z][a-z0-9-]{2,27}$", coalesce(var.opensearch_config.domain_name, "x")))
    error_message = "opensearch_config.domain_name must be 3-28 characters: lowercase letters, digits and hyphens, starting with a letter; got \"${var.opensearch_config.domain_name == null ? "" : var.opensearch_config.domain_name}\"."
  }

  validation {
    condition     = var.opensearch_config.master_user_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", coalesce(var.opensearch_config.master_user_arn, "x")))
    error_message = "opensearch_config.master_user_arn must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

# --- manual snapshots -----------------------------------------------------------------

variable "snapshot_noncurrent_days" {
  description = "Days S3 keeps a snapshot file after the snapshot policy's retention deleted it (noncurrent versions of the snapshot bucket): an undo window, not the snapshot retention itself."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_noncurrent_days >= 1 && floor(var.snapshot_noncurrent_days) == var.snapshot_noncurrent_days
    error_message = "snapshot_noncurrent_days must be a whole number of days, at least 1; got ${var.snapshot_noncurrent_days}."
  }
}

variable "snapshot_replica" {
  description = "Replicate the manual snapshot bucket to a second region: region (not the domain's), kms_key_arn (a KMS key of that region, which encrypts the replica) and lock_days (S3 Object Lock in GOVERNANCE mode on the replica: each copied file is kept at least that long, 30 by default; deletions in the source are not replicated). null: no replica."
  type = object({
    region      = string
    kms_key_arn = string
    lock_days   = optional(number, 30)
  })
  default = null

  validation {
    condition     = var.snapshot_replica == null || try(var.snapshot_replica.lock_days >= 1 && floor(var.snapshot_replica.lock_days) == var.snapshot_replica.lock_days, false)
    error_message = "snapshot_replica.lock_days must be a whole number of days, at least 1 (the replica's Object Lock retention)."
  }

  validation {
    condition     = var.snapshot_replica == null || can(regex("^arn:aws[a-z-]*:kms:${try(var.snapshot_replica.region, "")}:[0-9]{12}:key/.+$", try(var.snapshot_replica.kms_key_arn, "")))
    error_message = "snapshot_replica.kms_key_arn must be a KMS key ARN of snapshot_replica.region (the replica is encrypted with a key of its own region)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the environment's CI boundary (<environment>-carcierge-ci-boundary, `carcierge oidc bootstrap`), without which the CI deploy role may not create a role. null: none."
  type        = string
  default     = null
}
