mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-west-1:123456789012:prod-carcierge-alerts"
    }
  }
}

variables {
  name_prefix = "prod-carcierge"
  aws_region  = "us-west-1"
  kms_key_arn = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  ecs = {
    cluster_name = "prod-carcierge-ecs-cluster"
    services     = { service1 = "prod-carcierge-service1", service2 = "prod-carcierge-service2" }
  }
  alb = {
    arn_suffix                = "app/prod-carcierge-alb-main/0123456789abcdef"
    target_group_arn_suffixes = { service1 = "targetgroup/prod-carcierge-service1/aaa", service2 = "targetgroup/prod-carcierge-service2/bbb" }
  }
  rds        = { identifier = "prod-carcierge-rds-postgres" }
  redis      = { replication_group_id = "prod-carcierge-redis", node_count = 2 }
  opensearch = { domain_name = "prod-carcierge-search", instance_count = 2 }
}

run "full_environment_alarms" {
  command = plan

  assert {
    # 2 services x (cpu, memory) + p99 + 2 target groups x (5xx, unhealthy) + 4 RDS
    # + Redis (4 on each of 2 members) + OpenSearch (red, yellow, storage, JVM, snapshot)
    condition     = length(aws_cloudwatch_metric_alarm.metric) == 4 + 1 + 4 + 4 + 8 + 5
    error_message = "unexpected number of single-metric alarms: ${length(aws_cloudwatch_metric_alarm.metric)}"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.ratio) == 3
    error_message = "expected running-below-desired per service and the ALB 5xx rate"
  }

  assert {
    condition = alltrue([for alarm in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.ratio)) :
      alarm.alarm_actions == toset([aws_sns_topic.alerts.arn]) && alarm.ok_actions == toset([aws_sns_topic.alerts.arn])
    ])
    error_message = "every alarm must notify the alert topic on ALARM and OK"
  }

  assert {
    condition = alltrue([for alarm in concat(values(aws_cloudwatch_metric_alarm.metric), values(aws_cloudwatch_metric_alarm.ratio)) :
      startswith(alarm.alarm_name, "prod-carcierge-")
    ])
    error_message = "alarm names must follow <env>-carcierge-<resource>"
  }

  assert {
    condition     = aws_sns_topic.alerts.name == "prod-carcierge-alerts" && aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn
    error_message = "the alert topic is <env>-carcierge-alerts, encrypted with the environment key"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["alb-p99-latency-high"].extended_statistic == "p99" && aws_cloudwatch_metric_alarm.metric["alb-p99-latency-high"].statistic == null
    error_message = "latency alarm must use the p99 extended statistic"
  }

  assert {
    # After a failover the replica is -001: with two or more nodes every member is alarmed
    # (the current primary reports no ReplicationLag, and missing data is notBreaching).
    condition = alltrue([for number in ["001", "002"] :
      aws_cloudwatch_metric_alarm.metric["redis-node${number}-replication-lag"].dimensions.CacheClusterId == "prod-carcierge-redis-${number}"
      && aws_cloudwatch_metric_alarm.metric["redis-node${number}-replication-lag"].treat_missing_data == "notBreaching"
    ])
    error_message = "replication lag must be alarmed on every member of a replicated group"
  }

  assert {
    condition = alltrue([for key, alarm in aws_cloudwatch_metric_alarm.metric : alarm.dimensions == tomap({ DomainName = "prod-carcierge-search", ClientId = "123456789012" }) if startswith(key, "opensearch-")]) && anytrue([
      for metrics in [for widget in jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets : widget.properties.metrics] : contains(metrics, ["AWS/ES", "ClusterStatus.red", "DomainName", "prod-carcierge-search", "ClientId", "123456789012"])
    ])
    error_message = "OpenSearch alarms and the dashboard read the domain's metrics of this account (ClientId)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.metric["rds-free-storage-low"].threshold == 5 * 1073741824
    error_message = "RDS free storage threshold must be converted from GiB to bytes"
  }

  assert {
    condition     = aws_cloudwatch_dashboard.overview.dashboard_name == "prod-carcierge-overview" && length(jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets) == 8
    error_message = "the overview dashboard has a widget per concern"
  }

  assert {
    # PutDashboard: "metrics" is an array of metric arrays; each is the namespace, the metric
    # name and dimension name/value pairs (strings), with an optional rendering object last.
    # try(…, false): a metric that is not an array at all fails the check instead of erroring.
    condition = alltrue([for widget in jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets :
      length(widget.properties.metrics) > 0 && alltrue([for metric in widget.properties.metrics : try(
        !can(tostring(metric))
        && length([for part in metric : part if can(tostring(part))]) >= 2
        && length([for part in metric : part if can(tostring(part))]) % 2 == 0
        && alltrue([for index, part in metric : can(regex("^[A-Za-z0-9]", part)) || (index == length(metric) - 1 && can(keys(part)))]),
        false
      )])
    ])
    error_message = "every dashboard widget's metrics must be a list of [namespace, metric name, dimension name, value, …, {options}] arrays"
  }

  assert {
    condition = [for widget in jsondecode(aws_cloudwatch_dashboard.overview.dashboard_body).widgets : widget.properties.metrics if startswith(widget.properties.title, "Redis")] == [[
      ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", "prod-carcierge-redis-001"],
      ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", "prod-carcierge-redis-002"],
      ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", "prod-carcierge-redis-001"],
      ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", "prod-carcierge-redis-002"],
    ]]
    error_message = "the Redis widget charts engine CPU and memory of each member, one metric array each"
  }
}

run "alarms_scale_with_services_and_skip_absent_stores" {
  command = plan

  variables {
    ecs = {
      cluster_name = "qa-carcierge-ecs-cluster"
      services     = { for i in range(5) : "service${i + 1}" => "qa-carcierge-service${i + 1}" }
    }
    alb        = null
    rds        = null
    redis      = { replication_group_id = "qa-carcierge-redis", node_count = 1 }
    opensearch = { domain_name = "qa-carcierge-search", instance_count = 1 }
    thresholds = { ecs_cpu_percent = 70, ecs_memory_percent = 60 }
  }

  assert {
    # 5 services x 2 + Redis primary 3 + OpenSearch without yellow 4
    condition     = length(aws_cloudwatch_metric_alarm.metric) == 10 + 3 + 4
    error_message = "alarm count must follow the services map and the stores present"
  }

  assert {
    condition = alltrue([for i in range(5) : alltrue([
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-cpu-high"].metric_name == "CPUUtilization",
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-cpu-high"].threshold == 70,
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-memory-high"].metric_name == "MemoryUtilization",
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-memory-high"].threshold == 60,
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-memory-high"].alarm_description == "service${i + 1}: average memory above 60%",
      aws_cloudwatch_metric_alarm.metric["ecs-service${i + 1}-memory-high"].dimensions.ServiceName == "qa-carcierge-service${i + 1}",
    ])])
    error_message = "each service alarms on its CPU and its memory, each above its own threshold"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.ratio) == 5
    error_message = "one running-below-desired alarm per service and no ALB alarm without an ALB"
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.metric), "opensearch-cluster-yellow")
    error_message = "a single-node domain must not alarm on yellow"
  }

  assert {
    condition     = length([for key in keys(aws_cloudwatch_metric_alarm.metric) : key if endswith(key, "-replication-lag")]) == 0
    error_message = "a single-node group has no replica: no replication-lag alarm"
  }
}

# Each bad input is refused by its own validation: one run sets them all, and every one of
# them must fail (expect_failures fails the run if any listed input is accepted).
run "bad_inputs_are_rejected" {
  command = plan

  variables {
    thresholds   = { ecs_cpu_percent = 150 } # outside 0-100 %
    alert_emails = ["not-an-email"]
  }

  expect_failures = [var.thresholds, var.alert_emails]
}
