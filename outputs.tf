output "environment" {
  description = "The environment this state describes."
  value       = var.environment
}

output "name_prefix" {
  description = "Prefix of every resource name: <environment>-<project>."
  value       = local.name_prefix
}

output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value       = aws_kms_key.main.arn
}

output "kms_key_alias" {
  description = "Alias of the environment's KMS key."
  value       = aws_kms_alias.main.name
}
