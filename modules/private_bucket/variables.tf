variable "name" {
  description = "The bucket's name (globally unique: the callers add account and region)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; got \"${var.name}\"."
  }
}

variable "kms_key_arn" {
  description = "KMS key (ARN) the bucket encrypts its objects with, in the bucket's region."
  type        = string
}

variable "region" {
  description = "Region of the bucket; null for the provider's region (a cross-region replica sets its own)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Whether a destroy may empty the bucket first: true only for transient data."
  type        = bool
}

variable "lifecycle_rule" {
  description = "The bucket's lifecycle rule: id; expiration_days (current objects expire, null: never); expire_delete_markers (remove delete markers left alone); noncurrent_days (superseded versions kept); abort_incomplete_days (unfinished multipart uploads)."
  type = object({
    id                    = string
    expiration_days       = optional(number)
    expire_delete_markers = optional(bool, false)
    noncurrent_days       = number
    abort_incomplete_days = number
  })

  validation {
    condition     = var.lifecycle_rule.noncurrent_days >= 1 && var.lifecycle_rule.abort_incomplete_days >= 1 && (var.lifecycle_rule.expiration_days == null || try(var.lifecycle_rule.expiration_days >= 1, false))
    error_message = "lifecycle_rule days must be at least 1 (noncurrent_days, abort_incomplete_days, and expiration_days when set)."
  }
}

variable "tags" {
  description = "Extra tags on the bucket (the provider adds Environment, Project, ManagedBy)."
  type        = map(string)
  default     = {}
}
