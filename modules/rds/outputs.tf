output "identifier" {
  description = "Identifier of the DB instance (<name_prefix>-rds-postgres)."
  value       = aws_db_instance.this.identifier
}

output "arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "resource_id" {
  description = "Resource id of the instance (IAM database authentication policies use rds-db:connect on dbuser:<resource_id>/<user>)."
  value       = aws_db_instance.this.resource_id
}

output "address" {
  description = "Host name of the instance (follows Multi-AZ failovers)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port PostgreSQL listens on (TLS required)."
  value       = var.rds_config.port
}

output "database_name" {
  description = "Name of the database created with the instance."
  value       = var.rds_config.database_name
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret with the master credentials (JSON keys username and password); the value never passes through Terraform."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "connection_environment" {
  description = "Non-secret connection settings for the services' container environment."
  value = {
    DB_HOST = aws_db_instance.this.address
    DB_PORT = tostring(var.rds_config.port)
    DB_NAME = var.rds_config.database_name
  }
}

output "connection_secrets" {
  description = "Secrets for the services' container definitions: env var name => JSON key of the RDS-managed secret (ECS resolves the value at task start)."
  value = {
    DB_USERNAME = "${aws_db_instance.this.master_user_secret[0].secret_arn}:username::"
    DB_PASSWORD = "${aws_db_instance.this.master_user_secret[0].secret_arn}:password::"
  }
}

output "secret_arns" {
  description = "Secrets the services' execution role must be allowed to read (GetSecretValue) from this module."
  value       = [aws_db_instance.this.master_user_secret[0].secret_arn]
}

output "log_group_names" {
  description = "CloudWatch log groups the instance exports to, by log type."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}
