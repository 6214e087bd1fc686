# Where the module's resources were before: each move keeps the real object (moved blocks stay,
# so that every environment's state follows whenever it is applied).

# The queue, its policy and the bucket notification became one resource each, keyed as the
# pipelines (main.tf's notified_buckets), when the ALB's path joined the staging bucket's.
moved {
  from = aws_sqs_queue.this
  to   = aws_sqs_queue.this["logs"]
}

moved {
  from = aws_sqs_queue_policy.this
  to   = aws_sqs_queue_policy.this["logs"]
}

moved {
  from = aws_s3_bucket_notification.this
  to   = aws_s3_bucket_notification.this["logs"]
}

moved {
  from = aws_sqs_queue.alb[0]
  to   = aws_sqs_queue.this["alb"]
}

moved {
  from = aws_sqs_queue_policy.alb[0]
  to   = aws_sqs_queue_policy.this["alb"]
}

moved {
  from = aws_s3_bucket_notification.alb[0]
  to   = aws_s3_bucket_notification.this["alb"]
}
