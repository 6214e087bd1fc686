output "environments" {
  description = "The deployment environments, in promotion order."
  value       = local.environments
}

output "log_retention_days" {
  description = "The retention values (days) CloudWatch Logs accepts."
  value       = local.log_retention_days
}

output "kms_key_arn_pattern" {
  description = "The regular expression a KMS key ARN input must match."
  value       = local.kms_key_arn_pattern
}

output "log_sources" {
  description = "Keys of the log sources in OpenSearch that are not services (vpc_flow_logs, alb): indices logs-<key>-yyyy.MM.dd; no service key may be one of them."
  value       = local.log_sources
}

output "reserved_service_keys" {
  description = "Keys under <name_prefix>-<key> taken by what is not a service (ops_task: the operator task's log group, role and task family); no service key may be one of them."
  value       = local.reserved_service_keys
}

output "reserved_index_prefixes" {
  description = "OpenSearch index families of no service (logs-*, security-auditlog-*): no service key may be one or a hyphen-prefix of one, as a service's role reaches <key>-*."
  value       = local.reserved_index_prefixes
}

output "protected_environments" {
  description = "The environments whose protections are required by validation (uat, prod): images by digest, a WAF."
  value       = local.protected_environments
}

output "image_digest_pattern" {
  description = "The regular expression an image reference pinned by digest ends with (@sha256:<64 hex>)."
  value       = local.image_digest_pattern
}

output "iam_policy_arn_pattern" {
  description = "The regular expression an IAM managed policy ARN input (the CI permissions boundary) must match."
  value       = local.iam_policy_arn_pattern
}

output "unprivileged_ports" {
  description = "The unprivileged ports (from, to): what the VPC's network ACLs pass for return traffic and between the tiers, so where a service or a data store (besides 443) listens."
  value       = local.unprivileged_ports
}

output "name_prefix_pattern" {
  description = "The regular expression every name_prefix matches: lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen (a module's length limit is its own)."
  value       = local.name_prefix_pattern
}

output "name_prefix_format" {
  description = "How the root forms name_prefix from the environment and the project name: format(name_prefix_format, environment, project_name), <environment>-<project>."
  value       = local.name_prefix_format
}

output "project_name_pattern" {
  description = "The regular expression the project name matches: lowercase letters and digits, starting with a letter."
  value       = local.project_name_pattern
}
