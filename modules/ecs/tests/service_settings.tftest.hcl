# Per-service runtime settings: deployments roll back on failure and applies wait for them,
# ECS Exec (on here, off by default) is audited, containers run as non-root without
# capabilities, logs go to the service's group, tasks stay private, spot share maps to capacity
# providers.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

variables {
  # On here (staging and qa); the module's default is off.
  enable_execute_command = true
}

run "deployment_and_exec" {
  command = plan

  assert {
    condition = alltrue([for service in aws_ecs_service.service :
      service.deployment_circuit_breaker[0].enable && service.deployment_circuit_breaker[0].rollback
    ])
    error_message = "every service has the deployment circuit breaker with rollback on"
  }

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : service.enable_execute_command])
    error_message = "ECS Exec is on for every service"
  }

  assert {
    condition = alltrue([for service in aws_ecs_service.service :
      service.wait_for_steady_state && service.timeouts.create == "20m" && service.timeouts.update == "20m"
    ])
    error_message = "applies wait for every service to settle, 20 minutes by default"
  }

  assert {
    condition = alltrue([for service in aws_ecs_service.service :
      service.propagate_tags == "SERVICE" && service.deployment_minimum_healthy_percent == 100 && service.deployment_maximum_percent == 200
    ])
    error_message = "services propagate tags and roll out with full healthy capacity"
  }

  assert {
    condition = (
      one(aws_ecs_cluster.main.configuration).execute_command_configuration[0].kms_key_id == var.kms_key_arn &&
      one(aws_ecs_cluster.main.configuration).execute_command_configuration[0].logging == "OVERRIDE" &&
      one(aws_ecs_cluster.main.configuration).execute_command_configuration[0].log_configuration[0].cloud_watch_log_group_name == "/ecs/staging-carcierge-ecs-cluster/exec" &&
      one(aws_ecs_cluster.main.configuration).execute_command_configuration[0].log_configuration[0].cloud_watch_encryption_enabled
    )
    error_message = "ECS Exec sessions are encrypted with the environment key and logged to the exec log group"
  }

  assert {
    condition     = aws_ecs_cluster.main.setting == toset([{ name = "containerInsights", value = "enabled" }])
    error_message = "Container Insights is on"
  }

  assert {
    condition     = aws_ecs_cluster_capacity_providers.main.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "the cluster offers FARGATE and FARGATE_SPOT"
  }
}

run "logs_and_network" {
  command = plan

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service :
      jsondecode(definition.container_definitions)[0].logConfiguration.logDriver == "awslogs" &&
      jsondecode(definition.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/staging-carcierge-${key}" &&
      jsondecode(definition.container_definitions)[0].logConfiguration.options["awslogs-region"] == "us-west-1" &&
      aws_cloudwatch_log_group.service[key].name == "/ecs/staging-carcierge-${key}"
    ])
    error_message = "awslogs points at the service's own log group /ecs/<env>-carcierge-<service>"
  }

  assert {
    condition = alltrue([for group in values(aws_cloudwatch_log_group.service) :
      group.retention_in_days == 14 && group.kms_key_id == var.kms_key_arn
    ]) && aws_cloudwatch_log_group.exec.kms_key_id == var.kms_key_arn
    error_message = "log groups keep the environment's retention and are encrypted with its key"
  }

  assert {
    condition = alltrue([for key, service in aws_ecs_service.service :
      service.network_configuration[0].assign_public_ip == false &&
      service.network_configuration[0].subnets == toset(var.private_subnet_ids) &&
      service.network_configuration[0].security_groups == toset([var.service_security_group_ids[key]])
    ]) && length(distinct([for service in aws_ecs_service.service : service.network_configuration[0].security_groups])) == length(aws_ecs_service.service)
    error_message = "tasks run in the private subnets with their own service's security group (no two services share one) and no public IP"
  }

  assert {
    condition = alltrue([for key, definition in aws_ecs_task_definition.service :
      definition.network_mode == "awsvpc" && definition.requires_compatibilities == toset(["FARGATE"]) &&
      definition.cpu == "512" && definition.memory == "1024" &&
      definition.runtime_platform[0].operating_system_family == "LINUX" && definition.runtime_platform[0].cpu_architecture == "X86_64"
    ])
    error_message = "task definitions are Fargate/awsvpc with the service's size and runtime platform"
  }

  assert {
    condition = alltrue([for key, service in aws_ecs_service.service :
      one(service.service_connect_configuration).enabled &&
      one(service.service_connect_configuration).service[0].port_name == key &&
      one(service.service_connect_configuration).service[0].client_alias[0].port == var.services[key].container_port &&
      jsondecode(aws_ecs_task_definition.service[key].container_definitions)[0].portMappings[0].name == key
    ]) && aws_service_discovery_http_namespace.main.name == "staging.carcierge.local"
    error_message = "every service joins the Service Connect namespace <env>.carcierge.local under its key"
  }
}

run "container_settings" {
  command = plan

  variables {
    shared_environment = { REDIS_HOST = "redis.internal", LOG_LEVEL = "info" }
    shared_secrets     = { DB_PASSWORD = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf:password::" }
    services = {
      api = {
        container_image   = "123456789012.dkr.ecr.us-west-1.amazonaws.com/api:1.0.0"
        container_port    = 8080
        desired_count     = 2
        cpu               = 1024
        memory            = 2048
        environment       = { LOG_LEVEL = "debug" }
        secrets           = { API_KEY = "arn:aws:secretsmanager:us-west-1:123456789012:secret:api-key-Zx12Yw" }
        command           = ["node", "server.js"]
        cpu_architecture  = "ARM64"
        read_only_root_fs = true
      }
      legacy = {
        container_image   = "nginx:1.27"
        container_port    = 8080
        desired_count     = 1
        cpu               = 256
        memory            = 512
        read_only_root_fs = false
      }
    }
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].environment == [
      { name = "LOG_LEVEL", value = "debug" }, { name = "REDIS_HOST", value = "redis.internal" },
    ]
    error_message = "shared settings reach every service, and the service's own value wins"
  }

  assert {
    condition = jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].secrets == [
      { name = "API_KEY", valueFrom = "arn:aws:secretsmanager:us-west-1:123456789012:secret:api-key-Zx12Yw" },
      { name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf:password::" },
    ]
    error_message = "secrets (shared and the service's own) are injected from Secrets Manager, JSON key suffix kept"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.service["legacy"].container_definitions)[0].secrets == [{ name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-rds-AbCdEf:password::" }]
    error_message = "shared secrets reach a service that lists none of its own"
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].command == ["node", "server.js"] &&
      !can(jsondecode(aws_ecs_task_definition.service["legacy"].container_definitions)[0].command) &&
      aws_ecs_task_definition.service["api"].runtime_platform[0].cpu_architecture == "ARM64"
    )
    error_message = "command and cpu_architecture are passed through; no command means the image's default"
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].readonlyRootFilesystem == true &&
      toset([for mount in jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].mountPoints : mount.containerPath]) == toset(["/tmp", "/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"])
    )
    error_message = "a read-only root filesystem gets writable /tmp and the paths ECS Exec's agent writes to"
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.service["legacy"].container_definitions)[0].readonlyRootFilesystem == false &&
      length(jsondecode(aws_ecs_task_definition.service["legacy"].container_definitions)[0].mountPoints) == 0
    )
    error_message = "a writable root filesystem needs no extra volumes"
  }

  assert {
    condition = alltrue([for definition in aws_ecs_task_definition.service :
      jsondecode(definition.container_definitions)[0].user == "1000:1000" &&
      jsondecode(definition.container_definitions)[0].linuxParameters.capabilities == { add = [], drop = ["ALL"] }
    ])
    error_message = "containers run as uid 1000 by default and drop every Linux capability"
  }
}

run "spot_share" {
  command = plan

  variables {
    services = {
      ondemand = { container_image = "nginx:1.27", container_port = 8080, desired_count = 2, cpu = 256, memory = 512, spot = 0 }
      mixed    = { container_image = "nginx:1.27", container_port = 8080, desired_count = 2, cpu = 256, memory = 512, spot = 60 }
      allspot  = { container_image = "nginx:1.27", container_port = 8080, desired_count = 2, cpu = 256, memory = 512, spot = 100 }
    }
  }

  assert {
    condition     = aws_ecs_service.service["ondemand"].capacity_provider_strategy == toset([{ capacity_provider = "FARGATE", weight = 1, base = 0 }])
    error_message = "spot = 0 runs every task on FARGATE"
  }

  assert {
    condition     = aws_ecs_service.service["allspot"].capacity_provider_strategy == toset([{ capacity_provider = "FARGATE_SPOT", weight = 1, base = 0 }])
    error_message = "spot = 100 runs every task on FARGATE_SPOT"
  }

  assert {
    condition = aws_ecs_service.service["mixed"].capacity_provider_strategy == toset([
      { capacity_provider = "FARGATE", weight = 40, base = 1 },
      { capacity_provider = "FARGATE_SPOT", weight = 60, base = 0 },
    ])
    error_message = "a mixed share keeps one task on FARGATE and splits the rest by weight"
  }
}

run "exec_off" {
  command = plan

  variables {
    enable_execute_command = false
  }

  assert {
    condition     = alltrue([for service in aws_ecs_service.service : !service.enable_execute_command]) && length(aws_iam_role_policy.task) == 0 && length(aws_iam_role_policy.exec) == 0
    error_message = "without ECS Exec the services have it off and the task roles get no permissions"
  }

  assert {
    condition     = toset([for mount in jsondecode(aws_ecs_task_definition.service["service1"].container_definitions)[0].mountPoints : mount.containerPath]) == toset(["/tmp"])
    error_message = "without ECS Exec only /tmp is writable"
  }
}

# The root hands each service its own Redis user and password secret: they reach that service's
# container only, and the execution role may read them.
run "per_service_settings_and_secrets_stay_with_their_service" {
  command = plan

  variables {
    service_environment = {
      service1 = { REDIS_USERNAME = "service1" }
      service2 = { REDIS_USERNAME = "service2" }
    }
    service_secrets = {
      service1 = { REDIS_PASSWORD = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service1-AbCdEf" }
      service2 = { REDIS_PASSWORD = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service2-GhIjKl" }
    }
  }

  assert {
    condition = (
      [for item in jsondecode(aws_ecs_task_definition.service["service1"].container_definitions)[0].secrets : item if item.name == "REDIS_PASSWORD"] == [{ name = "REDIS_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service1-AbCdEf" }] &&
      [for item in jsondecode(aws_ecs_task_definition.service["service2"].container_definitions)[0].secrets : item if item.name == "REDIS_PASSWORD"] == [{ name = "REDIS_PASSWORD", valueFrom = "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service2-GhIjKl" }] &&
      [for item in jsondecode(aws_ecs_task_definition.service["service3"].container_definitions)[0].secrets : item if item.name == "REDIS_PASSWORD"] == []
    )
    error_message = "each service's container gets its own REDIS_PASSWORD secret and no other service's"
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.service["service2"].container_definitions)[0].environment, { name = "REDIS_USERNAME", value = "service2" })
    error_message = "each service's container gets its own REDIS_USERNAME"
  }

  assert {
    condition = toset(flatten([for statement in jsondecode(aws_iam_role_policy.execution_secrets[0].policy).Statement : statement.Resource if statement.Sid == "ReadListedSecrets"])) == toset([
      "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service1-AbCdEf",
      "arn:aws:secretsmanager:us-west-1:123456789012:secret:staging-carcierge-redis-service2-GhIjKl",
    ])
    error_message = "the execution role may read the per-service secrets (and only the listed ones)"
  }
}
