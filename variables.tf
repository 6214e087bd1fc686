variable "environment" {
  description = "Deployment environment; selects sizing and protection. One of staging, qa, uat, prod."
  type        = string

  validation {
    condition     = contains(["staging", "qa", "uat", "prod"], var.environment)
    error_message = "environment must be one of staging, qa, uat, prod."
  }
}

variable "project_name" {
  description = "Project name used in every resource name: <environment>-<project_name>-<resource>[-<subresource>]."
  type        = string
  default     = "carcierge"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,14}$", var.project_name))
    error_message = "project_name must be 2-15 lowercase letters or digits, starting with a letter (it is part of AWS names limited to 32 characters)."
  }
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as us-west-1."
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
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

# --- shared across modules ------------------------------------------------------------

variable "log_retention_days" {
  description = "CloudWatch Logs retention for every log group of the environment, in days (a value CloudWatch accepts)."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch's retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "deletion_protection" {
  description = "Protect stateful resources (RDS, ALB, OpenSearch, Redis final snapshot) from deletion; on in uat and prod."
  type        = bool
  default     = true
}

# --- compute (ecs) --------------------------------------------------------------------

variable "services" {
  description = "The containerised services, keyed by a short service name. The product spec's fields (container_image, container_port, desired_count, cpu, memory) are required; the rest are optional with defaults."
  type = map(object({
    container_image   = string
    container_port    = number
    desired_count     = number
    cpu               = number
    memory            = number
    health_check_path = optional(string, "/health")
    path_patterns     = optional(list(string), [])
    host_headers      = optional(list(string), [])
    default_route     = optional(bool, false)
    public            = optional(bool, true)
    environment       = optional(map(string), {})
    secrets           = optional(map(string), {})
    min_capacity      = optional(number)
    max_capacity      = optional(number)
    cpu_target        = optional(number, 70)
    memory_target     = optional(number, 75)
    spot              = optional(number, 0)
    command           = optional(list(string))
    cpu_architecture  = optional(string, "X86_64")
    read_only_root_fs = optional(bool, true)
  }))
}
