output "domain_name" {
  description = "Name of the OpenSearch domain."
  value       = aws_opensearch_domain.this.domain_name
}

output "domain_arn" {
  description = "ARN of the domain (IAM policies of the services use <arn>/*)."
  value       = aws_opensearch_domain.this.arn
}

output "endpoint" {
  description = "HTTPS endpoint (host name) of the domain inside the VPC."
  value       = aws_opensearch_domain.this.endpoint
}

output "port" {
  description = "Port of the HTTPS endpoint (the security groups and network ACLs open it)."
  value       = local.https_port
}

output "dashboard_endpoint" {
  description = "OpenSearch Dashboards host name (inside the VPC)."
  value       = aws_opensearch_domain.this.dashboard_endpoint
}

output "master_user_arn" {
  description = "IAM principal mapped to the all_access role of fine-grained access control."
  value       = local.master_user_arn
}

output "connection_environment" {
  description = "Non-secret connection settings for the services' container environment (requests are signed with the task role; no password)."
  value = {
    OPENSEARCH_ENDPOINT = "https://${aws_opensearch_domain.this.endpoint}"
  }
}

output "connection_secrets" {
  description = "Secrets for the services' container definitions: none, OpenSearch is reached with the task role (SigV4)."
  value       = {}
}

output "secret_arns" {
  description = "Secrets the services' execution role must be allowed to read from this module: none."
  value       = []
}

output "log_group_names" {
  description = "CloudWatch log groups the domain publishes to, by log type."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}

output "snapshot_bucket" {
  description = "S3 bucket of the manual snapshot repository (KMS-encrypted with the environment key, versioned, TLS only)."
  value       = module.snapshots.bucket
}

output "snapshot_bucket_arn" {
  description = "ARN of the manual snapshot bucket."
  value       = module.snapshots.arn
}

output "snapshot_role_arn" {
  description = "Role OpenSearch Service assumes to write manual snapshots (role_arn of the repository; whoever registers the repository needs iam:PassRole on it)."
  value       = aws_iam_role.snapshot.arn
}

output "snapshot_replica_bucket" {
  description = "Cross-region replica of the snapshot bucket, or null without one."
  value       = one(module.snapshots_replica[*].bucket)
}
