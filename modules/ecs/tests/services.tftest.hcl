# The services map drives everything: per service a task definition, an ECS service, a log
# group, a task role, a scaling target and exactly two target-tracking policies; per public
# service a target group and a listener rule.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}


run "one_service" {
  command = plan

  variables {
    services = {
      api = {
        container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/api:1.0.0"
        container_port  = 8080
        desired_count   = 1
        cpu             = 256
        memory          = 512
      }
    }
  }

  assert {
    condition = (
      length(aws_ecs_service.service) == 1 && length(aws_ecs_task_definition.service) == 1 &&
      length(aws_cloudwatch_log_group.service) == 1 && length(aws_iam_role.task) == 1 &&
      length(aws_lb_target_group.service) == 1 && length(aws_lb_listener_rule.service) == 1
    )
    error_message = "one service must give one service, task definition, log group, task role, target group and rule"
  }

  assert {
    condition     = length(aws_appautoscaling_target.service) == 1 && length(aws_appautoscaling_policy.cpu) == 1 && length(aws_appautoscaling_policy.memory) == 1
    error_message = "one service must give one scaling target and two policies (cpu, memory)"
  }

  assert {
    condition     = aws_lb_listener_rule.service["api"].priority == 10 && toset(one(aws_lb_listener_rule.service["api"].condition).path_pattern[0].values) == toset(["/api", "/api/*"])
    error_message = "a public service without routing fields gets /<key> and /<key>/* at priority 10"
  }

  assert {
    condition     = aws_appautoscaling_target.service["api"].min_capacity == 1 && aws_appautoscaling_target.service["api"].max_capacity == 2
    error_message = "min_capacity defaults to desired_count and max_capacity to twice desired_count"
  }
}

run "five_services" {
  command = plan

  assert {
    condition = (
      length(aws_ecs_service.service) == 5 && length(aws_ecs_task_definition.service) == 5 &&
      length(aws_lb_target_group.service) == 5 && length(aws_lb_listener_rule.service) == 5 &&
      length(aws_appautoscaling_target.service) == 5 &&
      length(aws_appautoscaling_policy.cpu) == 5 && length(aws_appautoscaling_policy.memory) == 5
    )
    error_message = "five services must give five of each per-service resource and ten scaling policies"
  }

  assert {
    condition = alltrue([for key, target in aws_appautoscaling_target.service :
      target.resource_id == "service/staging-carcierge-ecs-cluster/staging-carcierge-${key}" &&
      aws_appautoscaling_policy.cpu[key].resource_id == target.resource_id &&
      aws_appautoscaling_policy.memory[key].resource_id == target.resource_id &&
      aws_appautoscaling_target.service[key].scalable_dimension == "ecs:service:DesiredCount"
    ])
    error_message = "each service's scaling target must point at its ECS service and carry both policies"
  }

  assert {
    condition = alltrue([for key, policy in aws_appautoscaling_policy.cpu :
      policy.policy_type == "TargetTrackingScaling" &&
      one(policy.target_tracking_scaling_policy_configuration).predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      one(policy.target_tracking_scaling_policy_configuration).target_value == 70 &&
      one(aws_appautoscaling_policy.memory[key].target_tracking_scaling_policy_configuration).predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageMemoryUtilization" &&
      one(aws_appautoscaling_policy.memory[key].target_tracking_scaling_policy_configuration).target_value == 75 &&
      one(policy.target_tracking_scaling_policy_configuration).scale_in_cooldown == 300 &&
      one(policy.target_tracking_scaling_policy_configuration).scale_out_cooldown == 60
    ])
    error_message = "policies must track average CPU (70 %) and memory (75 %) with cooldowns"
  }

  assert {
    condition     = aws_lb_listener_rule.service["service1"].priority == 50000 && one(aws_lb_listener_rule.service["service1"].condition).path_pattern[0].values == toset(["/*"])
    error_message = "the default route matches /* at the last priority"
  }

  assert {
    condition     = [for key in ["service2", "service3", "service4", "service5"] : aws_lb_listener_rule.service[key].priority] == [10, 20, 30, 40]
    error_message = "rule priorities are 10, 20, 30, ... in key order"
  }
}

run "twelve_services_one_private" {
  command = plan

  variables {
    services = merge(
      {
        for i in range(1, 12) : "svc${i}" => {
          container_image = "registry.example.com:5000/team/svc${i}@sha256:${sha256("svc${i}")}"
          container_port  = 8000 + i
          desired_count   = 1
          cpu             = 1024
          memory          = 2048
          host_headers    = ["svc${i}.example.com"]
        }
      },
      {
        worker = {
          container_image = "public.ecr.aws/docker/library/busybox:1.36"
          container_port  = 9000
          desired_count   = 1
          cpu             = 256
          memory          = 512
          public          = false
        }
      },
    )
  }

  assert {
    condition     = length(aws_ecs_service.service) == 12 && length(aws_ecs_task_definition.service) == 12 && length(aws_appautoscaling_target.service) == 12
    error_message = "twelve services must give twelve ECS services, task definitions and scaling targets"
  }

  assert {
    condition     = length(aws_appautoscaling_policy.cpu) + length(aws_appautoscaling_policy.memory) == 24
    error_message = "twelve services must give exactly 24 scaling policies"
  }

  assert {
    condition     = length(aws_lb_target_group.service) == 11 && length(aws_lb_listener_rule.service) == 11
    error_message = "only the eleven public services get a target group and a listener rule"
  }

  assert {
    condition     = !contains(keys(aws_lb_target_group.service), "worker") && !contains(keys(aws_lb_listener_rule.service), "worker") && length(aws_ecs_service.service["worker"].load_balancer) == 0
    error_message = "a non-public service gets no target group, rule or load balancer block"
  }

  assert {
    condition     = aws_ecs_service.service["worker"].health_check_grace_period_seconds == null && aws_ecs_service.service["svc1"].health_check_grace_period_seconds == 60
    error_message = "only services behind the ALB get a health-check grace period"
  }

  assert {
    condition     = alltrue([for key, rule in aws_lb_listener_rule.service : one(rule.condition).host_header[0].values == toset(["${key}.example.com"])])
    error_message = "host-routed services get a host_header condition"
  }

  assert {
    condition     = length(distinct([for rule in aws_lb_listener_rule.service : rule.priority])) == 11
    error_message = "listener rule priorities must be unique"
  }

  assert {
    condition     = one(aws_ecs_service.service["worker"].service_connect_configuration).service[0].client_alias[0].dns_name == "worker"
    error_message = "a private service is still reachable inside the namespace through Service Connect"
  }
}
