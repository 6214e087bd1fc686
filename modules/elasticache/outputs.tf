output "replication_group_id" {
  description = "ID of the replication group (<name_prefix>-redis)."
  value       = aws_elasticache_replication_group.this.id
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = aws_elasticache_replication_group.this.arn
}

output "primary_endpoint_address" {
  description = "Primary endpoint (reads and writes); follows failovers."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Reader endpoint, spread over the replicas (equals the primary with one node)."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "port" {
  description = "Port the nodes listen on (TLS only)."
  value       = var.redis_config.port
}

output "user_group_id" {
  description = "The RBAC user group attached to the replication group (the services' users and the disabled default user)."
  value       = aws_elasticache_user_group.this.user_group_id
}

output "user_secret_arns" {
  description = "ARN of each service's password secret, by service key (the values never leave Secrets Manager)."
  value       = { for key, secret in aws_secretsmanager_secret.user : key => secret.arn }
}

output "connection_environment" {
  description = "Non-secret connection settings for the services' container environment."
  value = {
    REDIS_HOST = aws_elasticache_replication_group.this.primary_endpoint_address
    REDIS_PORT = tostring(var.redis_config.port)
    REDIS_TLS  = "true"
  }
}

output "user_environment" {
  description = "Each service's own non-secret Redis setting, by service key: REDIS_USERNAME (its Redis user)."
  value       = { for key, user in aws_elasticache_user.service : key => { REDIS_USERNAME = user.user_name } }
}

output "user_secrets" {
  description = "Each service's own Redis password for its container definition, by service key: REDIS_PASSWORD => its secret's ARN (ECS resolves the value at task start)."
  value       = { for key, secret in aws_secretsmanager_secret.user : key => { REDIS_PASSWORD = secret.arn } }
  # A task must not start before its secret has a value.
  depends_on = [aws_secretsmanager_secret_version.user]
}

output "secret_arns" {
  description = "Secrets the services' execution role must be allowed to read (GetSecretValue) from this module."
  value       = [for secret in aws_secretsmanager_secret.user : secret.arn]
}

output "log_group_names" {
  description = "CloudWatch log groups the replication group delivers to, by log type."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}
