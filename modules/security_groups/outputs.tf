output "alb_security_group_id" {
  description = "Security group of the Application Load Balancer."
  value       = aws_security_group.role["alb"].id
}

output "service_security_group_ids" {
  description = "Security group of each ECS service, by service key (ingress from the ALB and its callers only)."
  value       = { for key, group in aws_security_group.service : key => group.id }
}

output "ops_security_group_id" {
  description = "Security group of the operator task (no ingress; RDS, OpenSearch and HTTPS out)."
  value       = aws_security_group.role["ops"].id
}

output "redis_security_group_id" {
  description = "Security group of the ElastiCache Redis replication group."
  value       = aws_security_group.role["redis"].id
}

output "opensearch_security_group_id" {
  description = "Security group of the OpenSearch domain."
  value       = aws_security_group.role["opensearch"].id
}

output "rds_security_group_id" {
  description = "Security group of the RDS PostgreSQL instance."
  value       = aws_security_group.role["rds"].id
}

output "data_store_ports" {
  description = "Port each data store's security group admits from the ECS services, read from its ingress rules (redis, opensearch, rds)."
  value       = { for store in keys(local.data_stores) : store => one(distinct([for key, rule in aws_vpc_security_group_ingress_rule.store_from_task : rule.from_port if local.store_access[key].store == store])) }
}

output "log_delivery_security_group_id" {
  description = "Security group of the log delivery pipeline, or null without log delivery."
  value       = try(aws_security_group.role["log-delivery"].id, null)
}
