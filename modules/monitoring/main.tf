# One alert topic, every alarm of the environment, and an overview dashboard.
#
# Kept apart from the modules it watches: the alarms share one topic and one threshold
# profile per environment, the dashboard spans services and stores, and the resource modules
# stay reusable without an alerting opinion of their own.

# The project's conventions: checks name_prefix against the naming pattern.
module "conventions" {
  source = "../conventions"

  # The shared inputs, checked there once.
  inputs = { name_prefix = var.name_prefix }
}

# OpenSearch metrics are dimensioned by the account (ClientId): the provider's, as in every
# other module, not an input that could name another.
data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  t          = var.thresholds
  periods    = local.t.evaluation_periods
  topic      = [aws_sns_topic.alerts.arn]

  # Keyed by member number (known at plan time); the member id goes into the dimensions only.
  redis_nodes = var.redis == null ? {} : {
    for index in range(var.redis.node_count) : format("%03d", index + 1) => {
      id = format("%s-%03d", var.redis.replication_group_id, index + 1)
      # Any member can be the replica: failover promotes one and demotes the other. With two or
      # more nodes every member gets the replication-lag alarm; the primary reports no
      # ReplicationLag, which the alarm treats as notBreaching.
      replicated = var.redis.node_count > 1
    }
  }

  # The ECS service metrics alarmed on, by the key in the alarm name.
  ecs_utilisation = {
    cpu    = { label = "CPU", metric = "CPUUtilization", threshold = local.t.ecs_cpu_percent }
    memory = { label = "memory", metric = "MemoryUtilization", threshold = local.t.ecs_memory_percent }
  }

  # Alarms on one metric each: key => definition. The key becomes <name_prefix>-<key>.
  metric_alarms = merge(
    # Each service's two utilisation alarms (ecs-<service>-cpu-high, ecs-<service>-memory-high).
    merge([for service, ecs_name in var.ecs.services : {
      for key, usage in local.ecs_utilisation : "ecs-${service}-${key}-high" => {
        description = "${service}: average ${usage.label} above ${usage.threshold}%"
        namespace   = "AWS/ECS", metric = usage.metric, statistic = "Average"
        dimensions  = { ClusterName = var.ecs.cluster_name, ServiceName = ecs_name }
        comparison  = "GreaterThanThreshold", threshold = usage.threshold, missing = "missing"
      }
    }]...),
    var.alb == null ? {} : merge(
      {
        "alb-p99-latency-high" = {
          description = "ALB: p99 target response time above ${local.t.p99_latency_seconds} s"
          namespace   = "AWS/ApplicationELB", metric = "TargetResponseTime", statistic = "p99"
          dimensions  = { LoadBalancer = var.alb.arn_suffix }
          comparison  = "GreaterThanThreshold", threshold = local.t.p99_latency_seconds, missing = "notBreaching"
        }
      },
      merge([for service, target_group in var.alb.target_group_arn_suffixes : {
        "alb-${service}-target-5xx" = {
          description = "${service}: more than ${local.t.target_5xx_count} target 5xx responses per minute"
          namespace   = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", statistic = "Sum"
          dimensions  = { LoadBalancer = var.alb.arn_suffix, TargetGroup = target_group }
          comparison  = "GreaterThanThreshold", threshold = local.t.target_5xx_count, missing = "notBreaching"
        }
        "alb-${service}-unhealthy-hosts" = {
          description = "${service}: at least one unhealthy target"
          namespace   = "AWS/ApplicationELB", metric = "UnHealthyHostCount", statistic = "Maximum"
          dimensions  = { LoadBalancer = var.alb.arn_suffix, TargetGroup = target_group }
          comparison  = "GreaterThanThreshold", threshold = 0, missing = "notBreaching"
        }
      }]...),
    ),
    var.rds == null ? {} : {
      "rds-cpu-high" = {
        description = "RDS: CPU above ${local.t.rds_cpu_percent}%"
        namespace   = "AWS/RDS", metric = "CPUUtilization", statistic = "Average"
        dimensions  = { DBInstanceIdentifier = var.rds.identifier }
        comparison  = "GreaterThanThreshold", threshold = local.t.rds_cpu_percent, missing = "missing"
      }
      "rds-free-storage-low" = {
        description = "RDS: free storage below ${local.t.rds_free_storage_gb} GiB"
        namespace   = "AWS/RDS", metric = "FreeStorageSpace", statistic = "Minimum"
        dimensions  = { DBInstanceIdentifier = var.rds.identifier }
        comparison  = "LessThanThreshold", threshold = local.t.rds_free_storage_gb * 1073741824, missing = "missing"
      }
      "rds-freeable-memory-low" = {
        description = "RDS: freeable memory below ${local.t.rds_freeable_memory_mb} MiB"
        namespace   = "AWS/RDS", metric = "FreeableMemory", statistic = "Minimum"
        dimensions  = { DBInstanceIdentifier = var.rds.identifier }
        comparison  = "LessThanThreshold", threshold = local.t.rds_freeable_memory_mb * 1048576, missing = "missing"
      }
      "rds-connections-high" = {
        description = "RDS: more than ${local.t.rds_connections} connections"
        namespace   = "AWS/RDS", metric = "DatabaseConnections", statistic = "Maximum"
        dimensions  = { DBInstanceIdentifier = var.rds.identifier }
        comparison  = "GreaterThanThreshold", threshold = local.t.rds_connections, missing = "missing"
      }
    },
    merge([for number, node in local.redis_nodes : merge(
      {
        "redis-node${number}-cpu-high" = {
          description = "Redis ${node.id}: engine CPU above ${local.t.redis_cpu_percent}%"
          namespace   = "AWS/ElastiCache", metric = "EngineCPUUtilization", statistic = "Average"
          dimensions  = { CacheClusterId = node.id }
          comparison  = "GreaterThanThreshold", threshold = local.t.redis_cpu_percent, missing = "missing"
        }
        "redis-node${number}-memory-high" = {
          description = "Redis ${node.id}: memory usage above ${local.t.redis_memory_percent}%"
          namespace   = "AWS/ElastiCache", metric = "DatabaseMemoryUsagePercentage", statistic = "Average"
          dimensions  = { CacheClusterId = node.id }
          comparison  = "GreaterThanThreshold", threshold = local.t.redis_memory_percent, missing = "missing"
        }
        "redis-node${number}-evictions" = {
          description = "Redis ${node.id}: more than ${local.t.redis_evictions} evictions per minute"
          namespace   = "AWS/ElastiCache", metric = "Evictions", statistic = "Sum"
          dimensions  = { CacheClusterId = node.id }
          comparison  = "GreaterThanThreshold", threshold = local.t.redis_evictions, missing = "notBreaching"
        }
      },
      # Only replicas report replication lag; which member is one changes at each failover.
      !node.replicated ? {} : {
        "redis-node${number}-replication-lag" = {
          description = "Redis ${node.id}: replication lag above ${local.t.redis_replication_lag_seconds} s"
          namespace   = "AWS/ElastiCache", metric = "ReplicationLag", statistic = "Maximum"
          dimensions  = { CacheClusterId = node.id }
          comparison  = "GreaterThanThreshold", threshold = local.t.redis_replication_lag_seconds, missing = "notBreaching"
        }
      },
    )]...),
    var.opensearch == null ? {} : merge(
      {
        "opensearch-cluster-red" = {
          description = "OpenSearch: cluster status red (a primary shard is unassigned)"
          namespace   = "AWS/ES", metric = "ClusterStatus.red", statistic = "Maximum"
          dimensions  = { DomainName = var.opensearch.domain_name, ClientId = local.account_id }
          comparison  = "GreaterThanOrEqualToThreshold", threshold = 1, missing = "missing"
        }
        "opensearch-free-storage-low" = {
          description = "OpenSearch: a node has less than ${local.t.opensearch_free_storage_gb} GiB free"
          namespace   = "AWS/ES", metric = "FreeStorageSpace", statistic = "Minimum"
          dimensions  = { DomainName = var.opensearch.domain_name, ClientId = local.account_id }
          comparison  = "LessThanThreshold", threshold = local.t.opensearch_free_storage_gb * 1024, missing = "missing"
        }
        "opensearch-jvm-pressure-high" = {
          description = "OpenSearch: JVM memory pressure above ${local.t.opensearch_jvm_pressure}%"
          namespace   = "AWS/ES", metric = "JVMMemoryPressure", statistic = "Maximum"
          dimensions  = { DomainName = var.opensearch.domain_name, ClientId = local.account_id }
          comparison  = "GreaterThanThreshold", threshold = local.t.opensearch_jvm_pressure, missing = "missing"
        }
        "opensearch-snapshot-failed" = {
          description = "OpenSearch: an automated snapshot failed"
          namespace   = "AWS/ES", metric = "AutomatedSnapshotFailure", statistic = "Maximum"
          dimensions  = { DomainName = var.opensearch.domain_name, ClientId = local.account_id }
          comparison  = "GreaterThanOrEqualToThreshold", threshold = 1, missing = "notBreaching"
        }
      },
      # A single-node domain is yellow by design (replicas cannot be placed): alarm from two nodes.
      var.opensearch.instance_count < 2 ? {} : {
        "opensearch-cluster-yellow" = {
          description = "OpenSearch: cluster status yellow (a replica shard is unassigned)"
          namespace   = "AWS/ES", metric = "ClusterStatus.yellow", statistic = "Maximum"
          dimensions  = { DomainName = var.opensearch.domain_name, ClientId = local.account_id }
          comparison  = "GreaterThanOrEqualToThreshold", threshold = 1, missing = "missing"
        }
      },
    ),
  )

  # Alarms over a metric-math expression of two metrics.
  ratio_alarms = merge(
    { for service, ecs_name in var.ecs.services : "ecs-${service}-running-below-desired" => {
      description = "${service}: fewer tasks running than desired"
      namespace   = "ECS/ContainerInsights"
      dimensions  = { ClusterName = var.ecs.cluster_name, ServiceName = ecs_name }
      metrics     = { a = "DesiredTaskCount", b = "RunningTaskCount" }
      statistic   = "Average"
      expression  = "a - b"
      threshold   = 0
    } },
    var.alb == null ? {} : {
      "alb-5xx-rate-high" = {
        description = "ALB: more than ${local.t.alb_5xx_rate_percent}% of requests answered 5xx by the load balancer"
        namespace   = "AWS/ApplicationELB"
        dimensions  = { LoadBalancer = var.alb.arn_suffix }
        metrics     = { a = "HTTPCode_ELB_5XX_Count", b = "RequestCount" }
        statistic   = "Sum"
        expression  = "IF(b > 0, 100 * a / b, 0)"
        threshold   = local.t.alb_5xx_rate_percent
      }
    },
  )

  percentile_statistics = toset(["p50", "p90", "p95", "p99"])
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = var.kms_key_arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-alerts" })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.alert_emails

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = contains(local.percentile_statistics, each.value.statistic) ? null : each.value.statistic
  extended_statistic  = contains(local.percentile_statistics, each.value.statistic) ? each.value.statistic : null
  period              = 60
  evaluation_periods  = local.periods
  datapoints_to_alarm = local.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = local.topic
  ok_actions          = local.topic

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_cloudwatch_metric_alarm" "ratio" {
  for_each = local.ratio_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  evaluation_periods  = local.periods
  datapoints_to_alarm = local.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.topic
  ok_actions          = local.topic

  metric_query {
    id          = "result"
    expression  = each.value.expression
    label       = each.value.description
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics

    content {
      id = metric_query.key

      metric {
        namespace   = each.value.namespace
        metric_name = metric_query.value
        dimensions  = each.value.dimensions
        stat        = each.value.statistic
        period      = 60
      }
    }
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}
