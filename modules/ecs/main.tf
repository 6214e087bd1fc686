# ECS on Fargate: cluster, per-service task definitions, services, logs and auto scaling.
# ALB and its log bucket: alb.tf. WAF: waf.tf. IAM: iam.tf. The operator task: ops.tf.
# Optional ECR and DNS: ecr.tf, alb.tf.

# The project's conventions: checks the shared inputs and gives the lists the validations read.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix, environment = var.environment, log_retention_days = var.log_retention_days, permissions_boundary_arn = var.permissions_boundary_arn }
  # The longest name this module builds.
  name_prefix_max_length = { length = 23, because = "the load balancer <name_prefix>-alb-main fits the 32 characters AWS allows an ALB name (CreateLoadBalancer)" }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  project    = trimprefix(var.name_prefix, "${var.environment}-")

  cluster_name = "${var.name_prefix}-ecs-cluster"
  # Service Connect namespace: <env>.carcierge.local (a Cloud Map HTTP namespace, no DNS zone).
  namespace_name = "${var.environment}.${local.project}.local"
  # Below the cluster's name so that no service key can collide with it.
  exec_log_group = "/ecs/${local.cluster_name}/exec"
  log_group_arn  = "arn:${local.partition}:logs:${var.aws_region}:${local.account_id}:log-group:"

  # AWS's confused-deputy guard for a service principal acting for this module: only on behalf
  # of this account's resources of that service in this region (IAM User Guide, "The confused
  # deputy problem"), by service: ecs (task roles' trust, iam.tf), logs (WAF log delivery, waf.tf).
  source_conditions = { for service in ["ecs", "logs"] : service => {
    StringEquals = { "aws:SourceAccount" = local.account_id }
    ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:${service}:${var.aws_region}:${local.account_id}:*" }
  } }

  # The Fargate task sizes: memory (MiB) each cpu value (units) accepts (ECS Developer Guide,
  # "Amazon ECS task definition parameters for Fargate", Task size). variables.tf refuses others.
  fargate_task_memory = {
    256   = [512, 1024, 2048]
    512   = range(1024, 4096 + 1, 1024)
    1024  = range(2048, 8192 + 1, 1024)
    2048  = range(4096, 16384 + 1, 1024)
    4096  = range(8192, 30720 + 1, 1024)
    8192  = range(16384, 61440 + 1, 4096)
    16384 = range(32768, 122880 + 1, 8192)
  }

  # Rules of public services without an explicit priority get 10, 20, 30, ... in key order.
  routed_keys = sort([for key, service in var.services : key if service.public && !service.default_route])

  # With a read-only root filesystem the app still gets a writable /tmp; with ECS Exec the SSM
  # agent gets the writable paths it needs (AWS documents Exec as unsupported on read-only roots;
  # these task-scoped mounts are the workaround from aws/containers-roadmap#1359).
  writable_paths = concat(
    [{ name = "tmp", path = "/tmp" }],
    var.enable_execute_command ? [
      { name = "managed-agents", path = "/managed-agents" },
      { name = "ssm-lib", path = "/var/lib/amazon/ssm" },
      { name = "ssm-log", path = "/var/log/amazon/ssm" },
    ] : [],
  )

  services = {
    for key, service in var.services : key => {
      name         = "${var.name_prefix}-${key}"
      log_group    = "/ecs/${var.name_prefix}-${key}"
      image        = service.container_image
      port         = service.container_port
      cpu          = service.cpu
      memory       = service.memory
      public       = service.public
      desired      = service.desired_count
      min_capacity = coalesce(service.min_capacity, service.desired_count)
      max_capacity = coalesce(service.max_capacity, max(service.desired_count * 2, 1))
      cpu_target   = service.cpu_target
      mem_target   = service.memory_target
      health_path  = service.health_check_path
      architecture = service.cpu_architecture
      read_only    = service.read_only_root_fs
      user         = service.user
      command      = service.command
      # Routing: the default route matches /*; a public service without routing gets /<key>[/*].
      path_patterns = service.default_route ? ["/*"] : (
        length(service.path_patterns) == 0 && length(service.host_headers) == 0 ? ["/${key}", "/${key}/*"] : service.path_patterns
      )
      host_headers = service.host_headers
      priority     = service.default_route ? 50000 : (service.public ? coalesce(service.priority, 10 * (index(local.routed_keys, key) + 1)) : null)
      # The service's own settings win over the shared connection settings, and the root's
      # per-service settings (its database role, its Redis user and password) win over both.
      environment = merge(var.shared_environment, service.environment, lookup(var.service_environment, key, {}))
      secrets     = merge(var.shared_secrets, service.secrets, lookup(var.service_secrets, key, {}))
      volumes     = service.read_only_root_fs ? local.writable_paths : []
      # spot = share of tasks on FARGATE_SPOT; a mixed service keeps its first task on FARGATE (base 0 = none).
      capacity_provider_strategy = (
        service.spot == 0 ? tolist([{ capacity_provider = "FARGATE", weight = 1, base = 0 }]) :
        service.spot == 100 ? tolist([{ capacity_provider = "FARGATE_SPOT", weight = 1, base = 0 }]) :
        tolist([
          { capacity_provider = "FARGATE", weight = 100 - service.spot, base = 1 },
          { capacity_provider = "FARGATE_SPOT", weight = service.spot, base = 0 },
        ])
      )
    }
  }

  public_services = { for key, service in local.services : key => service if service.public }

  # The services ECS runs: all but those awaiting their image (a staged deployment: the ECR
  # repository this apply creates holds no image yet; their task definitions, target groups
  # and the rest are created all the same).
  started_services = { for key, service in local.services : key => service if !contains(var.services_awaiting_images, key) }

  # What each container runs as, in container-definition terms (also the output
  # container_runtime, readable in a plan where the definitions themselves are not yet known).
  # Not root, and no Linux capabilities: the process runs as services.*.user (a non-root
  # uid[:gid], validated) and drops every capability Docker grants by default. Fargate accepts
  # drop of any capability and add of SYS_PTRACE only (Amazon ECS API Reference,
  # KernelCapabilities). An init process reaps the ECS Exec sessions' child processes.
  container_runtime = {
    for key, service in local.services : key => {
      user                   = service.user
      readonlyRootFilesystem = service.read_only
      writablePaths          = [for volume in service.volumes : volume.path]
      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { add = [], drop = ["ALL"] }
      }
    }
  }
}

# --- logs -----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "service" {
  for_each = local.services

  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file
  name              = each.value.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  # The log group name is a path (/ecs/...); the Name tag keeps the naming convention.
  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}-logs" })
}

resource "aws_cloudwatch_log_group" "exec" {
  # checkov:skip=CKV_AWS_338:retention is the environment's log_retention_days (staging 14, qa 14, uat 30, prod 90 days), under the one year this check asks for in every environment, security logs included: chosen for cost, a year is one value in an environment file
  name              = local.exec_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-exec-logs" })
}

# --- cluster --------------------------------------------------------------------------

resource "aws_service_discovery_http_namespace" "main" {
  name        = local.namespace_name
  description = "Service Connect namespace of ${local.cluster_name}"

  tags = merge(var.tags, { Name = "${var.name_prefix}-ecs-namespace" })
}

resource "aws_ecs_cluster" "main" {
  # checkov:skip=CKV_AWS_224:ECS Exec is logged to an encrypted log group and its sessions use the environment KMS key (kms_key_id below; the code scan passes). In the plan the key ARN is unknown until the key exists, and checkov 3.3 does not read unknown values nested this deep.
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"

      log_configuration {
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
        cloud_watch_encryption_enabled = true
      }
    }
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.main.arn
  }

  tags = merge(var.tags, { Name = local.cluster_name })
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  # Only for tasks started without a strategy (e.g. one-off RunTask): on-demand Fargate.
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# --- task definitions -----------------------------------------------------------------

resource "aws_ecs_task_definition" "service" {
  for_each = local.services

  family                   = each.value.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  # Keep earlier revisions registered so that a circuit-breaker rollback can start them.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = each.value.architecture
  }

  dynamic "volume" {
    for_each = each.value.volumes
    content {
      name = volume.value.name # no host path: task-scoped ephemeral storage on Fargate
    }
  }

  container_definitions = jsonencode([merge(
    {
      name      = each.key
      image     = each.value.image
      essential = true
      portMappings = [{
        name          = each.key # Service Connect refers to the port by this name
        containerPort = each.value.port
        hostPort      = each.value.port
        protocol      = "tcp"
        appProtocol   = "http"
      }]
      environment = [for name in sort(keys(each.value.environment)) : { name = name, value = each.value.environment[name] }]
      secrets     = [for name in sort(keys(each.value.secrets)) : { name = name, valueFrom = each.value.secrets[name] }]

      readonlyRootFilesystem = each.value.read_only
      mountPoints            = [for volume in each.value.volumes : { sourceVolume = volume.name, containerPath = volume.path, readOnly = false }]
      volumesFrom            = []
      user                   = local.container_runtime[each.key].user
      linuxParameters        = local.container_runtime[each.key].linuxParameters

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = "app"
        }
      }
    },
    each.value.command == null ? {} : { command = each.value.command },
  )])

  tags = merge(var.tags, { Name = each.value.name })
}

# --- services -------------------------------------------------------------------------

resource "aws_ecs_service" "service" {
  # services_awaiting_images: a staged deployment (docs/first-deployment.md).
  for_each = local.started_services

  name            = each.value.name
  cluster         = aws_ecs_cluster.main.arn
  task_definition = aws_ecs_task_definition.service[each.key].arn
  desired_count   = each.value.desired

  enable_execute_command  = var.enable_execute_command
  enable_ecs_managed_tags = true

  # Apply returns only when every service has reached a steady state (its deployment finished,
  # running = desired), so a green apply means the new tasks are healthy. A deployment the
  # circuit breaker rolls back fails the apply. Default provider timeout: 20 minutes.
  wait_for_steady_state = true
  propagate_tags        = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  availability_zone_rebalancing      = "ENABLED"
  # Lets a change of the capacity provider strategy (spot share) update the service in place.
  force_new_deployment = true

  health_check_grace_period_seconds = each.value.public ? var.health_check_grace_period_seconds : null

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "capacity_provider_strategy" {
    for_each = each.value.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.service_security_group_ids[each.key]]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.public ? [each.key] : []
    content {
      target_group_arn = aws_lb_target_group.service[each.key].arn
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  # Service discovery: every service is reachable inside the namespace as http://<key>:<port>.
  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.main.arn

    service {
      port_name      = each.key
      discovery_name = each.key

      client_alias {
        port     = each.value.port
        dns_name = each.key
      }
    }

    log_configuration {
      log_driver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "service-connect"
      }
    }
  }

  timeouts {
    create = "${var.service_steady_state_timeout_minutes}m"
    update = "${var.service_steady_state_timeout_minutes}m"
  }

  tags = merge(var.tags, { Name = each.value.name })

  lifecycle {
    # Application Auto Scaling owns the running count once the service exists.
    ignore_changes = [desired_count]
  }

  # The roles' policies must outlive the service (provider note), the target group must be
  # behind a listener before ECS registers tasks, FARGATE_SPOT must be on the cluster, and
  # what var.services_after names must be done.
  depends_on = [
    aws_iam_role_policy.execution,
    aws_iam_role_policy.execution_secrets,
    aws_iam_role_policy.task,
    aws_iam_role_policy.exec,
    aws_lb_listener_rule.service,
    aws_ecs_cluster_capacity_providers.main,
    # What the services need before they can be healthy (the root's operator-task run: database
    # roles, OpenSearch mappings); null: nothing to wait for.
    var.services_after,
  ]
}

# --- auto scaling ---------------------------------------------------------------------

resource "aws_appautoscaling_target" "service" {
  for_each = local.started_services

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.service[each.key].name}"
  min_capacity       = each.value.min_capacity
  max_capacity       = each.value.max_capacity

  tags = merge(var.tags, { Name = "${each.value.name}-scaling" })
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = local.started_services

  name               = "${each.value.name}-cpu-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.cpu_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  for_each = local.started_services

  name               = "${each.value.name}-memory-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.mem_target
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
