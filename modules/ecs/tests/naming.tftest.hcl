# Names follow <env>-carcierge-<resource>[-<sub>] and fit AWS's limits in every environment,
# with the longest service key the module accepts (14 characters: staging-carcierge- is 18 of
# the 32 characters a target group name may have).
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}


run "names_fit_in_staging" {
  command = plan

  variables {
    name_prefix         = "staging-carcierge"
    environment         = "staging"
    ssl_certificate_arn = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    services = {
      abcdefghijklmn = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
      s1             = { container_image = "nginx:1.27", container_port = 8081, desired_count = 1, cpu = 256, memory = 512, public = false }
    }
  }

  assert {
    condition     = aws_lb.main.name == "staging-carcierge-alb-main" && length(aws_lb.main.name) <= 32 && aws_lb.main.tags["Name"] == aws_lb.main.name
    error_message = "the ALB is <env>-carcierge-alb-main, at most 32 characters"
  }

  assert {
    condition     = alltrue([for key, group in aws_lb_target_group.service : group.name == "staging-carcierge-${key}" && length(group.name) <= 32 && group.tags["Name"] == group.name])
    error_message = "target groups are <env>-carcierge-<service>, at most 32 characters"
  }

  assert {
    condition     = aws_ecs_cluster.main.name == "staging-carcierge-ecs-cluster" && alltrue([for key, service in aws_ecs_service.service : service.name == "staging-carcierge-${key}" && service.tags["Name"] == service.name])
    error_message = "the cluster is <env>-carcierge-ecs-cluster and services are <env>-carcierge-<service>"
  }

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service : definition.family == "staging-carcierge-${key}"]) && alltrue([
      for name in concat([for role in aws_iam_role.task : role.name], [aws_iam_role.execution.name]) : startswith(name, "staging-carcierge-") && length(name) <= 64
    ])
    error_message = "task definition families and IAM roles follow the convention; role names fit 64 characters"
  }

  assert {
    condition     = startswith(aws_s3_bucket.alb_logs.bucket, "staging-carcierge-alb-logs-") && length(aws_s3_bucket.alb_logs.bucket) <= 63 && can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", aws_s3_bucket.alb_logs.bucket))
    error_message = "the log bucket is <env>-carcierge-alb-logs-<account>-<region>, a valid bucket name of at most 63 characters"
  }

  assert {
    condition = alltrue([for key, group in aws_cloudwatch_log_group.service : group.name == "/ecs/staging-carcierge-${key}"]) && alltrue([
      for policy in concat(values(aws_appautoscaling_policy.cpu), values(aws_appautoscaling_policy.memory)) : startswith(policy.name, "staging-carcierge-")
    ]) && aws_service_discovery_http_namespace.main.name == "staging.carcierge.local"
    error_message = "log groups, scaling policies and the namespace follow the convention"
  }
}

run "names_fit_in_qa" {
  command = plan

  variables {
    name_prefix         = "qa-carcierge"
    environment         = "qa"
    ssl_certificate_arn = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    services = {
      abcdefghijklmn = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
      s1             = { container_image = "nginx:1.27", container_port = 8081, desired_count = 1, cpu = 256, memory = 512, public = false }
    }
  }

  assert {
    condition     = aws_lb.main.name == "qa-carcierge-alb-main" && length(aws_lb.main.name) <= 32 && aws_lb.main.tags["Name"] == aws_lb.main.name
    error_message = "the ALB is <env>-carcierge-alb-main, at most 32 characters"
  }

  assert {
    condition     = alltrue([for key, group in aws_lb_target_group.service : group.name == "qa-carcierge-${key}" && length(group.name) <= 32 && group.tags["Name"] == group.name])
    error_message = "target groups are <env>-carcierge-<service>, at most 32 characters"
  }

  assert {
    condition     = aws_ecs_cluster.main.name == "qa-carcierge-ecs-cluster" && alltrue([for key, service in aws_ecs_service.service : service.name == "qa-carcierge-${key}" && service.tags["Name"] == service.name])
    error_message = "the cluster is <env>-carcierge-ecs-cluster and services are <env>-carcierge-<service>"
  }

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service : definition.family == "qa-carcierge-${key}"]) && alltrue([
      for name in concat([for role in aws_iam_role.task : role.name], [aws_iam_role.execution.name]) : startswith(name, "qa-carcierge-") && length(name) <= 64
    ])
    error_message = "task definition families and IAM roles follow the convention; role names fit 64 characters"
  }

  assert {
    condition     = startswith(aws_s3_bucket.alb_logs.bucket, "qa-carcierge-alb-logs-") && length(aws_s3_bucket.alb_logs.bucket) <= 63 && can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", aws_s3_bucket.alb_logs.bucket))
    error_message = "the log bucket is <env>-carcierge-alb-logs-<account>-<region>, a valid bucket name of at most 63 characters"
  }

  assert {
    condition = alltrue([for key, group in aws_cloudwatch_log_group.service : group.name == "/ecs/qa-carcierge-${key}"]) && alltrue([
      for policy in concat(values(aws_appautoscaling_policy.cpu), values(aws_appautoscaling_policy.memory)) : startswith(policy.name, "qa-carcierge-")
    ]) && aws_service_discovery_http_namespace.main.name == "qa.carcierge.local"
    error_message = "log groups, scaling policies and the namespace follow the convention"
  }
}

run "names_fit_in_uat" {
  command = plan

  variables {
    name_prefix         = "uat-carcierge"
    environment         = "uat"
    ssl_certificate_arn = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    services = {
      abcdefghijklmn = { container_image = "nginx:1.27@sha256:${sha256("nginx")}", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
      s1             = { container_image = "nginx:1.27@sha256:${sha256("nginx")}", container_port = 8081, desired_count = 1, cpu = 256, memory = 512, public = false }
    }
  }

  assert {
    condition     = aws_lb.main.name == "uat-carcierge-alb-main" && length(aws_lb.main.name) <= 32 && aws_lb.main.tags["Name"] == aws_lb.main.name
    error_message = "the ALB is <env>-carcierge-alb-main, at most 32 characters"
  }

  assert {
    condition     = alltrue([for key, group in aws_lb_target_group.service : group.name == "uat-carcierge-${key}" && length(group.name) <= 32 && group.tags["Name"] == group.name])
    error_message = "target groups are <env>-carcierge-<service>, at most 32 characters"
  }

  assert {
    condition     = aws_ecs_cluster.main.name == "uat-carcierge-ecs-cluster" && alltrue([for key, service in aws_ecs_service.service : service.name == "uat-carcierge-${key}" && service.tags["Name"] == service.name])
    error_message = "the cluster is <env>-carcierge-ecs-cluster and services are <env>-carcierge-<service>"
  }

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service : definition.family == "uat-carcierge-${key}"]) && alltrue([
      for name in concat([for role in aws_iam_role.task : role.name], [aws_iam_role.execution.name]) : startswith(name, "uat-carcierge-") && length(name) <= 64
    ])
    error_message = "task definition families and IAM roles follow the convention; role names fit 64 characters"
  }

  assert {
    condition     = startswith(aws_s3_bucket.alb_logs.bucket, "uat-carcierge-alb-logs-") && length(aws_s3_bucket.alb_logs.bucket) <= 63 && can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", aws_s3_bucket.alb_logs.bucket))
    error_message = "the log bucket is <env>-carcierge-alb-logs-<account>-<region>, a valid bucket name of at most 63 characters"
  }

  assert {
    condition = alltrue([for key, group in aws_cloudwatch_log_group.service : group.name == "/ecs/uat-carcierge-${key}"]) && alltrue([
      for policy in concat(values(aws_appautoscaling_policy.cpu), values(aws_appautoscaling_policy.memory)) : startswith(policy.name, "uat-carcierge-")
    ]) && aws_service_discovery_http_namespace.main.name == "uat.carcierge.local"
    error_message = "log groups, scaling policies and the namespace follow the convention"
  }
}

run "names_fit_in_prod" {
  command = plan

  variables {
    name_prefix         = "prod-carcierge"
    environment         = "prod"
    ssl_certificate_arn = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    services = {
      abcdefghijklmn = { container_image = "nginx:1.27@sha256:${sha256("nginx")}", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
      s1             = { container_image = "nginx:1.27@sha256:${sha256("nginx")}", container_port = 8081, desired_count = 1, cpu = 256, memory = 512, public = false }
    }
  }

  assert {
    condition     = aws_lb.main.name == "prod-carcierge-alb-main" && length(aws_lb.main.name) <= 32 && aws_lb.main.tags["Name"] == aws_lb.main.name
    error_message = "the ALB is <env>-carcierge-alb-main, at most 32 characters"
  }

  assert {
    condition     = alltrue([for key, group in aws_lb_target_group.service : group.name == "prod-carcierge-${key}" && length(group.name) <= 32 && group.tags["Name"] == group.name])
    error_message = "target groups are <env>-carcierge-<service>, at most 32 characters"
  }

  assert {
    condition     = aws_ecs_cluster.main.name == "prod-carcierge-ecs-cluster" && alltrue([for key, service in aws_ecs_service.service : service.name == "prod-carcierge-${key}" && service.tags["Name"] == service.name])
    error_message = "the cluster is <env>-carcierge-ecs-cluster and services are <env>-carcierge-<service>"
  }

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service : definition.family == "prod-carcierge-${key}"]) && alltrue([
      for name in concat([for role in aws_iam_role.task : role.name], [aws_iam_role.execution.name]) : startswith(name, "prod-carcierge-") && length(name) <= 64
    ])
    error_message = "task definition families and IAM roles follow the convention; role names fit 64 characters"
  }

  assert {
    condition     = startswith(aws_s3_bucket.alb_logs.bucket, "prod-carcierge-alb-logs-") && length(aws_s3_bucket.alb_logs.bucket) <= 63 && can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", aws_s3_bucket.alb_logs.bucket))
    error_message = "the log bucket is <env>-carcierge-alb-logs-<account>-<region>, a valid bucket name of at most 63 characters"
  }

  assert {
    condition = alltrue([for key, group in aws_cloudwatch_log_group.service : group.name == "/ecs/prod-carcierge-${key}"]) && alltrue([
      for policy in concat(values(aws_appautoscaling_policy.cpu), values(aws_appautoscaling_policy.memory)) : startswith(policy.name, "prod-carcierge-")
    ]) && aws_service_discovery_http_namespace.main.name == "prod.carcierge.local"
    error_message = "log groups, scaling policies and the namespace follow the convention"
  }
}

run "a_key_one_character_too_long_is_rejected_even_in_prod" {
  command = plan

  # prod-carcierge-abcdefghijklmno would fit (30), but the same map must also work in staging.
  variables {
    name_prefix = "prod-carcierge"
    environment = "prod"
    services = {
      abcdefghijklmno = { container_image = "nginx:1.27@sha256:${sha256("nginx")}", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}
