variable "name_prefix" {
  description = "Prefix of every name: <environment>-<project>, e.g. prod-carcierge. The key is <name_prefix>-kms-<name>, its alias alias/<name_prefix>-<name>."
  type        = string
}

variable "name" {
  description = "What the key is for, in its name and alias: main (the environment key) or backup (the cross-region copies)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be 1-31 lowercase letters, digits or hyphens, starting with a letter; got \"${var.name}\"."
  }
}

variable "description" {
  description = "The key's description (what it encrypts, in which environment)."
  type        = string
}

variable "region" {
  description = "Region of the key; null for the provider's region (the cross-region backup key sets backup_region)."
  type        = string
  default     = null
}

variable "deletion_window_in_days" {
  description = "Waiting period before the key is deleted (7-30 days)."
  type        = number

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number of days from 7 to 30 (KMS's range); got ${var.deletion_window_in_days}."
  }
}

variable "cloudwatch_log_groups" {
  description = "Log group names (IAM wildcards allowed) CloudWatch Logs may encrypt with the key; empty for none."
  type        = list(string)
  default     = []
}

variable "cloudwatch_alarms" {
  description = "Whether this environment's CloudWatch alarms (<name_prefix>-*) may use the key to publish to an encrypted SNS topic."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags on the key (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}
