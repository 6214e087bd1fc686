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
  description = "ARN of the RDS-managed Secrets Manager secret with the master credentials (JSON keys username and password), for break-glass use and `carcierge db roles` only; the value never passes through Terraform."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "connection_environment" {
  description = "Non-secret connection settings for every service's container environment: the services sign in with IAM database authentication tokens (DB_IAM_AUTH), never with the master password."
  value = {
    DB_HOST     = aws_db_instance.this.address
    DB_PORT     = tostring(var.rds_config.port)
    DB_NAME     = var.rds_config.database_name
    DB_IAM_AUTH = "true"
  }
}

output "service_connection_environment" {
  description = "Per service (the keys of iam_database_users): DB_USERNAME, the service's own database role."
  value       = { for key, user in var.iam_database_users : key => { DB_USERNAME = user } }
}

output "iam_database_users" {
  description = "Database role of each service (service key => role name), as given; `carcierge db roles` creates them inside the apply (the root's terraform_data.ops_setup)."
  value       = var.iam_database_users
}

output "iam_connect_arns" {
  description = "Per service: the rds-db:connect resource of its own database role, arn:<partition>:rds-db:<region>:<account>:dbuser:<resource_id>/<role> (known after apply)."
  value       = { for key, user in var.iam_database_users : key => "${local.dbuser_arn_prefix}/${user}" }
}

output "connection_secrets" {
  description = "Secrets for the services' container definitions: none. The master secret is for break-glass use only (master_user_secret_arn); services authenticate with IAM tokens."
  value       = {}
}

output "secret_arns" {
  description = "Secrets the services' execution role must be allowed to read from this module: none (the master secret is not for services)."
  value       = []
}

output "log_group_names" {
  description = "CloudWatch log groups the instance exports to, by log type."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}

output "backup_replication_arn" {
  description = "ARN of the replicated automated backups in the second region, or null without replication."
  value       = one(aws_db_instance_automated_backups_replication.this[*].id)
}
