output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.main.dns_name
}

output "alb_zone_id" {
  description = "Canonical hosted zone of the ALB (for alias records)."
  value       = aws_lb.main.zone_id
}

output "alb_arn" {
  description = "ARN of the ALB."
  value       = aws_lb.main.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (CloudWatch LoadBalancer dimension)."
  value       = aws_lb.main.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (for extra rules)."
  value       = aws_lb_listener.https.arn
}

output "alb_access_logs_bucket" {
  description = "S3 bucket of the ALB access logs."
  value       = aws_s3_bucket.alb_logs.bucket
}

output "alb_access_logs_prefix" {
  description = "The ALB's access_logs prefix in that bucket: files land under <prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/."
  value       = local.alb_logs_prefix
}

output "application_fqdn" {
  description = "domain_name's alias record to the ALB, or null without one."
  value       = one(aws_route53_record.alb[*].fqdn)
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.main.arn
}

output "service_names" {
  description = "ECS service name per service key."
  value       = { for key, service in aws_ecs_service.service : key => service.name }
}

output "log_group_names" {
  description = "CloudWatch log group per service key."
  value       = { for key, group in aws_cloudwatch_log_group.service : key => group.name }
}

output "exec_log_group_name" {
  description = "CloudWatch log group of ECS Exec sessions."
  value       = aws_cloudwatch_log_group.exec.name
}

output "target_groups" {
  description = "Target group of each public service key: arn and arn_suffix (the CloudWatch TargetGroup dimension)."
  value       = { for key, group in aws_lb_target_group.service : key => { arn = group.arn, arn_suffix = group.arn_suffix } }
}

output "task_roles" {
  description = "Task role of each service key: arn and name (to attach further policies)."
  value       = { for key, role in aws_iam_role.task : key => { arn = role.arn, name = role.name } }
}

output "container_settings" {
  description = "Per service key: the container's environment (name => value) and secrets (name => Secrets Manager reference), exactly as its task definition gets them."
  value       = { for key, service in local.services : key => { environment = service.environment, secrets = service.secrets } }
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "service_connect_namespace" {
  description = "Service Connect namespace: name and ARN."
  value = {
    name = aws_service_discovery_http_namespace.main.name
    arn  = aws_service_discovery_http_namespace.main.arn
  }
}

output "service_endpoints" {
  description = "URL under which every service reaches a service inside the namespace (Service Connect)."
  value       = { for key, service in local.services : key => "http://${key}:${service.port}" }
}

output "ecr_repository_urls" {
  description = "ECR repository URL per service key (empty unless create_ecr_repositories)."
  value       = { for key, repository in aws_ecr_repository.service : key => repository.repository_url }
}

output "container_runtime" {
  description = "How each service's container runs, keyed by service: user, readonlyRootFilesystem, writablePaths (task-scoped volumes) and linuxParameters (capabilities), as in its container definition."
  value       = local.container_runtime
}

output "ops_task" {
  description = "The operator task (null without ops_task): task definition family and ARN (this revision), task role ARN, log group and the container's environment (name => value)."
  value = local.ops_enabled ? {
    family              = aws_ecs_task_definition.ops[0].family
    task_definition_arn = aws_ecs_task_definition.ops[0].arn
    container           = "ops"
    task_role_arn       = aws_iam_role.ops_task[0].arn
    log_group           = aws_cloudwatch_log_group.ops[0].name
    environment         = local.ops_environment
  } : null
}

output "services" {
  description = "The services as this module read them, every optional attribute with its default (the shape is declared once, in variables.tf): what the root gives the modules that also need them (security groups: port, public, callers)."
  value       = var.services
}
