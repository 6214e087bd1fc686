output "alert_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_names" {
  description = "Names of all alarms, by alarm key."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.metric : key => alarm.alarm_name },
    { for key, alarm in aws_cloudwatch_metric_alarm.ratio : key => alarm.alarm_name },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch overview dashboard."
  value       = aws_cloudwatch_dashboard.overview.dashboard_name
}
