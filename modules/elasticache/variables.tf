# --- naming and placement -------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge. The replication group is <name_prefix>-redis (AWS allows 40 characters)."
  type        = string
}

variable "environment" {
  description = "Deployment environment: staging, qa, uat or prod (used in descriptions)."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets of the cache subnet group, one per AZ (at least two when redis_config.num_cache_nodes >= 2, so replicas land in another AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must list at least one data subnet; got none."
  }
}

variable "security_group_id" {
  description = "Security group of the replication group (Redis port in from the services only)."
  type        = string
}

variable "kms_key_arn" {
  description = "Environment KMS key (ARN): encrypts the cache at rest, its snapshots, the users' password secrets and the log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the slow-log and engine-log groups, in days (a value CloudWatch accepts)."
  type        = number
}

variable "deletion_protection" {
  description = "Protected environment (uat, prod): the users' password secrets keep a 30-day recovery window; unprotected environments delete it at once so a re-created environment can reuse the name."
  type        = bool
  default     = true
}

variable "service_keys" {
  description = "The services that sign in to Redis, each as a user of its own: user name <key>, user id <name_prefix>-redis-<key>, keys <key>:* only, password in the secret <name_prefix>-redis-<key>."
  type        = set(string)

  validation {
    condition     = alltrue([for key in var.service_keys : can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", key))])
    error_message = "service_keys must be service keys (lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen): they become Redis user names and key prefixes; got: ${join(", ", [for key in var.service_keys : key if !can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", key))])}."
  }

  validation {
    # The user named "default" is the group's disabled default user (ElastiCache requires one).
    condition     = !contains(var.service_keys, "default")
    error_message = "service_keys must not contain \"default\": that Redis user name belongs to the user group's disabled default user; rename the service."
  }

  validation {
    # ElastiCache quota: 100 users per user group (the default user is one of them).
    condition     = length(var.service_keys) <= 99
    error_message = "service_keys: at most 99 services (ElastiCache allows 100 users per user group, one of them the disabled default user); got ${length(var.service_keys)}."
  }
}

variable "tags" {
  description = "Extra tags on every resource of the module (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

# --- the cache ------------------------------------------------------------------------

variable "redis_config" {
  description = "Redis (cluster mode disabled) replication group: node_type (cache.<family>.<size>, e.g. cache.t4g.micro); num_cache_nodes (1 = a single primary, 2-6 = primary + replicas in other AZs with automatic failover and Multi-AZ); engine_version (major.minor, 7.0 or later for Redis OSS, e.g. \"7.1\"; ElastiCache applies the newest patch); engine (\"redis\" or \"valkey\"); port; parameters (extra parameter-group settings); snapshot_retention_limit (days, 0-35) and snapshot_window (hh:mm-hh:mm UTC); maintenance_window (ddd:hh:mm-ddd:hh:mm UTC, must not overlap the snapshot window); apply_immediately (false in prod: changes wait for the maintenance window); skip_final_snapshot (true only where losing the cache on destroy is fine); password_version (bump to rotate every service user's password: new passwords are generated, stored in the services' secrets and set on the users; then restart the services)."
  type = object({
    node_type                = string
    num_cache_nodes          = number
    engine_version           = string
    engine                   = optional(string, "redis")
    port                     = optional(number, 6379)
    parameters               = optional(map(string), {})
    snapshot_retention_limit = optional(number, 7)
    snapshot_window          = optional(string, "03:00-04:00")
    maintenance_window       = optional(string, "sun:05:00-sun:06:00")
    apply_immediately        = optional(bool, false)
    skip_final_snapshot      = optional(bool, false)
    password_version         = optional(number, 1)
  })

  validation {
    condition     = can(regex("^cache\\.[a-z][a-z0-9]*\\.[a-z0-9]+$", var.redis_config.node_type)) && !can(regex("^cache\\.(t1|t2|m1|m2|m3|c1|r3)\\.", var.redis_config.node_type))
    error_message = "redis_config.node_type must be a current ElastiCache node type cache.<family>.<size> such as cache.t4g.micro, cache.t4g.small or cache.m7g.large (t1/t2/m1-m3/c1/r3 lack encryption or failover support); got \"${var.redis_config.node_type}\"."
  }

  validation {
    condition     = var.redis_config.num_cache_nodes >= 1 && var.redis_config.num_cache_nodes <= 6 && floor(var.redis_config.num_cache_nodes) == var.redis_config.num_cache_nodes
    error_message = "redis_config.num_cache_nodes must be a whole number from 1 to 6 (one primary plus up to five replicas; 2 or more turns on Multi-AZ automatic failover); got ${var.redis_config.num_cache_nodes}."
  }

  validation {
    condition     = contains(["redis", "valkey"], var.redis_config.engine)
    error_message = "redis_config.engine must be one of \"redis\", \"valkey\"; got \"${var.redis_config.engine}\"."
  }

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.redis_config.engine_version)) && try(tonumber(split(".", var.redis_config.engine_version)[0]) >= 7, false)
    error_message = "redis_config.engine_version must be a major.minor version 7.0 or later, such as \"7.1\" (Redis OSS) or \"8.0\" (Valkey); TLS-required mode needs 7.x; got \"${var.redis_config.engine_version}\"."
  }

  validation {
    condition     = var.redis_config.port >= 1024 && var.redis_config.port <= 65535 && floor(var.redis_config.port) == var.redis_config.port
    error_message = "redis_config.port must be a whole number from 1024 to 65535; got ${var.redis_config.port}."
  }

  validation {
    condition     = var.redis_config.snapshot_retention_limit >= 0 && var.redis_config.snapshot_retention_limit <= 35 && floor(var.redis_config.snapshot_retention_limit) == var.redis_config.snapshot_retention_limit
    error_message = "redis_config.snapshot_retention_limit must be a whole number of days from 0 (no automatic snapshots) to 35; got ${var.redis_config.snapshot_retention_limit}."
  }

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.redis_config.snapshot_window))
    error_message = "redis_config.snapshot_window must be hh:mm-hh:mm in UTC, at least 60 minutes long, e.g. \"03:00-04:00\"; got \"${var.redis_config.snapshot_window}\"."
  }

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.redis_config.maintenance_window))
    error_message = "redis_config.maintenance_window must be ddd:hh:mm-ddd:hh:mm in UTC with lowercase days (mon-sun), at least 60 minutes long, e.g. \"sun:05:00-sun:06:00\"; got \"${var.redis_config.maintenance_window}\"."
  }

  validation {
    condition     = var.redis_config.password_version >= 1 && floor(var.redis_config.password_version) == var.redis_config.password_version
    error_message = "redis_config.password_version must be a whole number from 1 (bump it to rotate the services' Redis passwords); got ${var.redis_config.password_version}."
  }

  validation {
    condition     = alltrue([for name in keys(var.redis_config.parameters) : can(regex("^[a-z][a-z0-9-]*$", name))])
    error_message = "redis_config.parameters keys must be ElastiCache parameter names (lowercase letters, digits, hyphens), e.g. maxmemory-policy."
  }

  validation {
    condition     = !(var.deletion_protection && var.redis_config.skip_final_snapshot)
    error_message = "redis_config.skip_final_snapshot must be false (or unset) where deletion_protection is true (uat, prod): a protected cache keeps a final snapshot; got skip_final_snapshot = true."
  }
}
