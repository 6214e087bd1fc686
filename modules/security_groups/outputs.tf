output "alb_security_group_id" {
  description = "Security group of the Application Load Balancer."
  value       = aws_security_group.alb.id
}

output "ecs_security_group_id" {
  description = "Security group of the ECS services (all services share it)."
  value       = aws_security_group.ecs.id
}

output "redis_security_group_id" {
  description = "Security group of the ElastiCache Redis replication group."
  value       = aws_security_group.redis.id
}

output "opensearch_security_group_id" {
  description = "Security group of the OpenSearch domain."
  value       = aws_security_group.opensearch.id
}

output "rds_security_group_id" {
  description = "Security group of the RDS PostgreSQL instance."
  value       = aws_security_group.rds.id
}

output "data_store_ports" {
  description = "Port each data store's security group admits from the ECS services, read from its ingress rule (redis, opensearch, rds)."
  value       = { for store, rule in aws_vpc_security_group_ingress_rule.store_from_ecs : store => rule.from_port }
}

output "log_delivery_security_group_id" {
  description = "Security group of the log delivery pipeline, or null without log delivery."
  value       = one(aws_security_group.log_delivery[*].id)
}
