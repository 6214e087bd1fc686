locals {
  ecs_dimensions = { for service, ecs_name in var.ecs.services : service => ["ClusterName", var.ecs.cluster_name, "ServiceName", ecs_name] }

  # One widget per concern; stores that are absent contribute no widget.
  dashboard_widgets = concat(
    [
      {
        title   = "ECS CPU utilisation (%)"
        stat    = "Average"
        metrics = [for service, dims in local.ecs_dimensions : concat(["AWS/ECS", "CPUUtilization"], dims, [{ label = service }])]
      },
      {
        title   = "ECS memory utilisation (%)"
        stat    = "Average"
        metrics = [for service, dims in local.ecs_dimensions : concat(["AWS/ECS", "MemoryUtilization"], dims, [{ label = service }])]
      },
      {
        title   = "ECS running tasks (Container Insights)"
        stat    = "Average"
        metrics = [for service, dims in local.ecs_dimensions : concat(["ECS/ContainerInsights", "RunningTaskCount"], dims, [{ label = service }])]
      },
    ],
    var.alb == null ? [] : [
      {
        title = "ALB requests and 5xx"
        stat  = "Sum"
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb.arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb.arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb.arn_suffix],
        ]
      },
      {
        title   = "ALB target response time p99 (s)"
        stat    = "p99"
        metrics = [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb.arn_suffix]]
      },
    ],
    var.rds == null ? [] : [
      {
        title = "RDS CPU (%) and connections"
        stat  = "Average"
        metrics = [
          ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.rds.identifier],
          ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.rds.identifier, { yAxis = "right" }],
        ]
      },
    ],
    var.redis == null ? [] : [
      {
        title = "Redis engine CPU and memory (%)"
        stat  = "Average"
        # concat, not flatten: flatten is recursive and would merge the metric arrays into one
        # list of strings, which PutDashboard rejects ("metrics" is an array of arrays).
        metrics = concat(
          [for node in values(local.redis_nodes) : ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node.id]],
          [for node in values(local.redis_nodes) : ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node.id]],
        )
      },
    ],
    var.opensearch == null ? [] : [
      {
        title = "OpenSearch cluster health and JVM pressure"
        stat  = "Maximum"
        metrics = [
          ["AWS/ES", "ClusterStatus.red", "DomainName", var.opensearch.domain_name, "ClientId", local.account_id],
          ["AWS/ES", "ClusterStatus.yellow", "DomainName", var.opensearch.domain_name, "ClientId", local.account_id],
          ["AWS/ES", "JVMMemoryPressure", "DomainName", var.opensearch.domain_name, "ClientId", local.account_id, { yAxis = "right" }],
        ]
      },
    ],
  )
}

resource "aws_cloudwatch_dashboard" "overview" {
  dashboard_name = "${var.name_prefix}-overview"
  dashboard_body = jsonencode({
    widgets = [for index, widget in local.dashboard_widgets : {
      type   = "metric"
      x      = (index % 2) * 12
      y      = floor(index / 2) * 6
      width  = 12
      height = 6
      properties = {
        title   = widget.title
        region  = var.aws_region
        stat    = widget.stat
        period  = 300
        view    = "timeSeries"
        metrics = widget.metrics
      }
    }]
  })
}
