variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge. The pipelines are <name_prefix>-logs and <name_prefix>-logs-alb (OpenSearch Ingestion allows 3-28 characters)."
  type        = string
}

variable "environment" {
  description = "Deployment environment (used in descriptions)."
  type        = string
}

variable "sources" {
  description = "Log groups to deliver, keyed by source name (a service key, or vpc-flow-logs for the VPC's flow log group): each gets a subscription filter, a Firehose stream <name_prefix>-logs-<source> and daily indices logs-<source>-yyyy.MM.dd."
  type        = map(string)

  validation {
    condition     = length(var.sources) > 0 && alltrue([for source in keys(var.sources) : can(regex("^[a-z][a-z0-9-]{0,31}$", source))])
    error_message = "sources must name at least one log group, keyed by lowercase names of 1-32 letters, digits or hyphens (they become index names)."
  }

  validation {
    # The ALB's indices are logs-alb-<day>: a log group keyed alb would write into them too.
    condition     = var.alb_access_logs == null || !contains(keys(var.sources), module.conventions.log_sources.alb)
    error_message = "sources must not use the key ${module.conventions.log_sources.alb} while alb_access_logs is set: the ALB access logs write the indices logs-${module.conventions.log_sources.alb}-yyyy.MM.dd; rename that source."
  }
}

variable "alb_access_logs" {
  description = "The ALB's access logs, delivered into daily indices logs-alb-yyyy.MM.dd: bucket is the bucket Elastic Load Balancing writes them to (this account and region, SSE-S3), prefix the load balancer's access_logs prefix (\"\" for none). The module creates that bucket's S3 event notification configuration, and a bucket has only one: its owner must create none. null: no ALB access logs."
  type = object({
    bucket = string
    prefix = string
  })
  default = null

  validation {
    condition     = var.alb_access_logs == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs.bucket))
    error_message = "alb_access_logs.bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; got \"${try(var.alb_access_logs.bucket, "")}\"."
  }

  validation {
    # ELB adds AWSLogs/<account>/... after the prefix, which must not contain AWSLogs itself
    # (Elastic Load Balancing User Guide for Application Load Balancers, "Access log files").
    condition     = var.alb_access_logs == null || (can(regex("^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$", var.alb_access_logs.prefix)) && !can(regex("AWSLogs", var.alb_access_logs.prefix)))
    error_message = "alb_access_logs.prefix must be the load balancer's access_logs prefix: empty, or segments of letters, digits and !_.*'()- joined by single slashes, with no leading or trailing slash and without AWSLogs; got \"${try(var.alb_access_logs.prefix, "")}\"."
  }
}

variable "log_retention_days" {
  description = "Days the staging bucket keeps log files (the environment's log retention)."
  type        = number

  validation {
    condition     = var.log_retention_days >= 1 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number of days, at least 1."
  }
}

variable "kms_key_arn" {
  description = "Environment KMS key (ARN): encrypts the streams and the staging bucket."
  type        = string
}

variable "opensearch_domain_arn" {
  description = "ARN of the OpenSearch domain the logs go into."
  type        = string
}

variable "opensearch_endpoint" {
  description = "VPC endpoint host name of the domain (no scheme)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the pipeline's network interfaces are placed in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the pipeline (HTTPS to the domain's security group only; modules/security_groups)."
  type        = string
}

variable "pipeline_units" {
  description = "OpenSearch Compute Units of the pipeline: min (billed around the clock) and max (scaling ceiling)."
  type = object({
    min = number
    max = number
  })
  default = { min = 1, max = 2 }

  validation {
    condition     = var.pipeline_units.min >= 1 && var.pipeline_units.max >= var.pipeline_units.min
    error_message = "pipeline_units: min must be at least 1 and max at least min."
  }
}

variable "tags" {
  description = "Extra tags on every resource of the module (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the environment's CI boundary (<environment>-carcierge-ci-boundary, `carcierge oidc bootstrap`), without which the CI deploy role may not create a role. null: none."
  type        = string
  default     = null
}
