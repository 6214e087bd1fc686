output "delivery_role_arn" {
  description = "Role the ingestion pipeline writes to the domain with: map it in fine-grained access control (write to logs-*)."
  value       = aws_iam_role.service["pipeline"].arn
}

output "stream_names" {
  description = "Firehose stream per source."
  value       = { for source, stream in aws_kinesis_firehose_delivery_stream.this : source => stream.name }
}

output "index_pattern" {
  description = "Index names the pipeline writes: logs-<source>-yyyy.MM.dd (template and retention policy match logs-*)."
  value       = "logs-*"
}

output "bucket" {
  description = "Staging bucket: logs/<source>/ (delivered files), failed/<source>/ (Firehose failures), dlq/ (documents the domain refused)."
  value       = module.bucket.bucket
}

output "pipeline_names" {
  description = "Names of the OpenSearch Ingestion pipelines, one per source: logs (the log groups' files) and, with alb_access_logs, alb."
  value       = { for key, pipeline in aws_osis_pipeline.this : key => pipeline.pipeline_name }
}
