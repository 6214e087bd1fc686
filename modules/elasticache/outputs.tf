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

output "auth_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the AUTH token (the value itself never leaves Secrets Manager)."
  value       = aws_secretsmanager_secret.auth_token.arn
}

output "connection_environment" {
  description = "Non-secret connection settings for the services' container environment."
  value = {
    REDIS_HOST = aws_elasticache_replication_group.this.primary_endpoint_address
    REDIS_PORT = tostring(var.redis_config.port)
    REDIS_TLS  = "true"
  }
}

output "connection_secrets" {
  description = "Secrets for the services' container definitions: env var name => Secrets Manager ARN (ECS resolves the value at task start)."
  value = {
    REDIS_AUTH_TOKEN = aws_secretsmanager_secret.auth_token.arn
  }
  # A task must not start before the secret has a value.
  depends_on = [aws_secretsmanager_secret_version.auth_token]
}

output "secret_arns" {
  description = "Secrets the services' execution role must be allowed to read (GetSecretValue) from this module."
  value       = [aws_secretsmanager_secret.auth_token.arn]
}

output "log_group_names" {
  description = "CloudWatch log groups the replication group delivers to, by log type."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}
