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
