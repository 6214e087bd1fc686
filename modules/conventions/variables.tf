# The inputs every module shares, validated here once: a module passes its own to its
# `module "conventions"` call (inputs), with the maximum length of its name_prefix, a fact of the
# AWS names it builds (name_prefix_max_length); this module refuses a wrong one. All optional: the
# root calls it without inputs to read the lists, and a module passes only what it has. A
# module's own tests cannot expect these failures (terraform test addresses only the objects of
# the module under test), so tests/conventions.tftest.hcl proves each of them.

variable "inputs" {
  description = "The calling module's shared inputs, each checked when not null: name_prefix (<environment>-<project>, the naming pattern and name_prefix_max_length), environment (one of the environments), kms_key_arn (kms_key_arn_pattern), log_retention_days (a CloudWatch Logs retention value), permissions_boundary_arn (iam_policy_arn_pattern)."
  type = object({
    name_prefix              = optional(string)
    environment              = optional(string)
    kms_key_arn              = optional(string)
    log_retention_days       = optional(number)
    permissions_boundary_arn = optional(string)
  })
  default = {}

  validation {
    condition     = var.inputs.name_prefix == null || (can(regex(local.name_prefix_pattern, coalesce(var.inputs.name_prefix, "-"))) && length(coalesce(var.inputs.name_prefix, "-")) >= 3 && length(coalesce(var.inputs.name_prefix, "-")) <= var.name_prefix_max_length.length)
    error_message = "name_prefix must be 3-${var.name_prefix_max_length.length} lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen, so that ${var.name_prefix_max_length.because}; got \"${coalesce(var.inputs.name_prefix, "null")}\"."
  }

  validation {
    condition     = var.inputs.environment == null || contains(local.environments, coalesce(var.inputs.environment, "-"))
    error_message = "environment must be one of ${join(", ", local.environments)}; got \"${coalesce(var.inputs.environment, "null")}\"."
  }

  validation {
    condition     = var.inputs.kms_key_arn == null || can(regex(local.kms_key_arn_pattern, coalesce(var.inputs.kms_key_arn, "-")))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); got \"${coalesce(var.inputs.kms_key_arn, "null")}\"."
  }

  validation {
    condition     = var.inputs.log_retention_days == null || contains(local.log_retention_days, coalesce(var.inputs.log_retention_days, -1))
    error_message = "log_retention_days must be one of CloudWatch's retention values: ${join(", ", local.log_retention_days)}; got ${coalesce(var.inputs.log_retention_days, -1)}."
  }

  validation {
    condition     = var.inputs.permissions_boundary_arn == null || can(regex(local.iam_policy_arn_pattern, coalesce(var.inputs.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>) or null; got \"${coalesce(var.inputs.permissions_boundary_arn, "null")}\"."
  }
}

variable "name_prefix_max_length" {
  description = "The longest name_prefix the calling module accepts (length) and why (because: the longest name it builds and AWS's limit on it), for the error message."
  type = object({
    length  = number
    because = string
  })
  default = { length = 40, because = "it stays within the project's ceiling of 40 characters (no name the module builds has a tighter AWS limit)" }
}

variable "data_store_ports" {
  description = "The calling module's data store ports, by store (modules/vpc and modules/security_groups open exactly these): each must be 443 or one of unprivileged_ports. null: the module has none."
  type        = map(number)
  default     = null

  validation {
    # The private tier's network ACL sends to 443 (HTTPS) and the unprivileged ports (modules/vpc);
    # RDS and ElastiCache validate their own ranges (1150-65535, 1024-65535).
    condition     = var.data_store_ports == null || alltrue([for port in values(coalesce(var.data_store_ports, {})) : port == floor(port) && (port == 443 || (port >= local.unprivileged_ports.from && port <= local.unprivileged_ports.to))])
    error_message = "data_store_ports values must be whole port numbers, 443 or ${local.unprivileged_ports.from}-${local.unprivileged_ports.to} (the ports the private tier's network ACL sends to); got ${jsonencode(var.data_store_ports)}."
  }
}
