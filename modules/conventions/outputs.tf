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
