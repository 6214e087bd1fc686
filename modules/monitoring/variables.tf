variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge."
  type        = string
}

variable "aws_region" {
  description = "Region of the watched resources (dashboard widgets need it)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the alert topic; its policy must let CloudWatch use it."
  type        = string
}

variable "alert_emails" {
  description = "Email addresses subscribed to the alert topic (each must confirm the subscription)."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alert_emails must contain only email addresses such as oncall@example.com; got: ${join(", ", [for email in var.alert_emails : "\"${email}\"" if !can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])}."
  }
}

variable "ecs" {
  description = "The ECS cluster and its services (service key => ECS service name)."
  type = object({
    cluster_name = string
    services     = map(string)
  })
}

variable "alb" {
  description = "The load balancer and its target groups (service key => target group ARN suffix); null when there is none."
  type = object({
    arn_suffix                = string
    target_group_arn_suffixes = map(string)
  })
  default = null
}

variable "rds" {
  description = "The RDS instance identifier; null when there is none."
  type = object({
    identifier = string
  })
  default = null
}

variable "redis" {
  description = "The Redis replication group and its node count (members are named <id>-001, -002, …); null when there is none."
  type = object({
    replication_group_id = string
    node_count           = number
  })
  default = null
}

variable "opensearch" {
  description = "The OpenSearch domain and its data node count; null when there is none."
  type = object({
    domain_name    = string
    instance_count = number
  })
  default = null
}

variable "thresholds" {
  description = "Alarm thresholds; lower environments relax them, prod is strict."
  type = object({
    evaluation_periods            = optional(number, 3)
    ecs_cpu_percent               = optional(number, 85)
    ecs_memory_percent            = optional(number, 85)
    alb_5xx_rate_percent          = optional(number, 5)
    target_5xx_count              = optional(number, 20)
    p99_latency_seconds           = optional(number, 2)
    rds_cpu_percent               = optional(number, 80)
    rds_free_storage_gb           = optional(number, 5)
    rds_freeable_memory_mb        = optional(number, 256)
    rds_connections               = optional(number, 80)
    redis_cpu_percent             = optional(number, 75)
    redis_memory_percent          = optional(number, 80)
    redis_evictions               = optional(number, 100)
    redis_replication_lag_seconds = optional(number, 5)
    opensearch_free_storage_gb    = optional(number, 5)
    opensearch_jvm_pressure       = optional(number, 85)
  })
  default = {}

  validation {
    condition = alltrue([
      for name in ["ecs_cpu_percent", "ecs_memory_percent", "alb_5xx_rate_percent", "rds_cpu_percent", "redis_cpu_percent", "redis_memory_percent", "opensearch_jvm_pressure"] :
      var.thresholds[name] > 0 && var.thresholds[name] <= 100
    ])
    error_message = "thresholds: every *_percent and opensearch_jvm_pressure value must be a percentage in (0, 100]."
  }

  validation {
    condition     = var.thresholds.evaluation_periods >= 1 && var.thresholds.evaluation_periods <= 10
    error_message = "thresholds.evaluation_periods must be between 1 and 10."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the module."
  type        = map(string)
  default     = {}
}
