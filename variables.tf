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
