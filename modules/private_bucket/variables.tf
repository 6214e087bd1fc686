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

variable "object_lock" {
  description = "S3 Object Lock default retention for every new object version: mode (GOVERNANCE: deletable early only with s3:BypassGovernanceRetention; COMPLIANCE: by nobody) and days. null: no Object Lock. Once on, Object Lock cannot be turned off (retention can be shortened or removed for new versions only)."
  type = object({
    mode = optional(string, "GOVERNANCE")
    days = number
  })
  default = null

  validation {
    # S3 API Reference, DefaultRetention: Mode GOVERNANCE | COMPLIANCE, Days a positive integer
    # (botocore s3 service-2.json, ObjectLockRetentionMode).
    condition     = var.object_lock == null || (contains(["GOVERNANCE", "COMPLIANCE"], try(var.object_lock.mode, "")) && try(var.object_lock.days >= 1 && floor(var.object_lock.days) == var.object_lock.days, false))
    error_message = "object_lock.mode must be \"GOVERNANCE\" or \"COMPLIANCE\" and object_lock.days a whole number of days, at least 1."
  }

  validation {
    # A noncurrent version the lock still protects cannot expire anyway; one kept for less time
    # than the lock would state an undo window shorter than the one the bucket really has.
    condition     = var.object_lock == null || try(var.lifecycle_rule.noncurrent_days >= var.object_lock.days, false)
    error_message = "lifecycle_rule.noncurrent_days must be at least object_lock.days: superseded versions are kept at least as long as the lock protects them."
  }
}
