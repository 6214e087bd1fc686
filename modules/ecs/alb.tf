# Internet-facing ALB: HTTPS with one rule per public service, HTTP redirected to HTTPS,
# access logs in a bucket of its own, optional DNS alias. The optional WAF: waf.tf.

data "aws_elb_service_account" "current" {}

locals {
  alb_name = "${var.name_prefix}-alb-main"
  # Bucket names are global: the account and region make this one unique.
  alb_logs_bucket = "${var.name_prefix}-alb-logs-${local.account_id}-${var.aws_region}"
  alb_logs_arn    = "arn:${local.partition}:s3:::${local.alb_logs_bucket}"
  alb_logs_prefix = "alb"
}

# --- access-log bucket ----------------------------------------------------------------

resource "aws_s3_bucket" "alb_logs" {
  # checkov:skip=CKV_AWS_18:this is the access-log bucket itself; logging it would need a second log bucket
  # checkov:skip=CKV_AWS_144:access logs of one region's ALB; cross-region replication is not required for them
  # checkov:skip=CKV_AWS_145:ALB log delivery supports only SSE-S3 (AES256), not KMS keys
  # checkov:skip=CKV2_AWS_62:the bucket's one event notification (object-created, to the log delivery queue) belongs to modules/log_delivery and exists only with enable_log_delivery; this module creates none
  bucket = local.alb_logs_bucket
  # Lower environments (no deletion protection) may be torn down together with their logs.
  force_destroy = !var.alb_deletion_protection

  tags = merge(var.tags, { Name = local.alb_logs_bucket })
}

resource "aws_s3_bucket_ownership_controls" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256" # SSE-S3: the only encryption ALB log delivery supports
    }
  }
}

resource "aws_s3_bucket_versioning" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.alb_access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.alb_logs]
}

resource "aws_s3_bucket_policy" "alb_logs" {
  bucket = aws_s3_bucket.alb_logs.bucket
  policy = jsonencode(local.alb_logs_policy)

  depends_on = [aws_s3_bucket_public_access_block.alb_logs]
}

locals {
  alb_logs_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # us-west-1 opened before August 2022: log delivery writes as the region's Elastic Load
        # Balancing account (027434742980 there), not as a service principal.
        Sid       = "AllowAlbLogDelivery"
        Effect    = "Allow"
        Principal = { AWS = data.aws_elb_service_account.current.arn }
        Action    = "s3:PutObject"
        Resource  = "${local.alb_logs_arn}/${local.alb_logs_prefix}/AWSLogs/${local.account_id}/*"
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.alb_logs_arn, "${local.alb_logs_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }
}

# --- load balancer --------------------------------------------------------------------

resource "aws_lb" "main" {
  # checkov:skip=CKV2_AWS_76:the module's web ACL carries the known-bad-inputs rule group (Log4j) in rule_json, which checkov does not read; a brought web ACL's rules belong to its owner
  # checkov:skip=CKV_AWS_150:deletion protection is per environment (alb_deletion_protection): on in uat and prod, off in staging and qa so they can be torn down
  name               = local.alb_name
  internal           = false
  load_balancer_type = "application"
  ip_address_type    = "ipv4"
  security_groups    = [var.alb_security_group_id]
  subnets            = var.public_subnet_ids

  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_http2               = true
  idle_timeout               = 60
  enable_deletion_protection = var.alb_deletion_protection

  access_logs {
    bucket  = aws_s3_bucket.alb_logs.bucket
    prefix  = local.alb_logs_prefix
    enabled = true
  }

  tags = merge(var.tags, { Name = local.alb_name })

  # ELB checks that it may write to the bucket when access logs are turned on.
  depends_on = [aws_s3_bucket_policy.alb_logs]
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = merge(var.tags, { Name = "${local.alb_name}-http" })
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.ssl_certificate_arn

  # Requests no service rule matches.
  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ message = "Not Found" })
      status_code  = "404"
    }
  }

  tags = merge(var.tags, { Name = "${local.alb_name}-https" })
}

resource "aws_lb_target_group" "service" {
  # checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB-to-task traffic stays in the VPC, limited to the ALB's and each service's security group, and the containers serve plain HTTP
  for_each = local.public_services

  name                 = each.value.name
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = each.value.port
  vpc_id               = var.vpc_id
  deregistration_delay = "30"

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = each.value.health_path
    matcher             = "200-399"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = each.value.name })
}

resource "aws_lb_listener_rule" "service" {
  for_each = local.public_services

  listener_arn = aws_lb_listener.https.arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }

  dynamic "condition" {
    for_each = length(each.value.path_patterns) > 0 ? [each.value.path_patterns] : []
    content {
      path_pattern {
        values = condition.value
      }
    }
  }

  dynamic "condition" {
    for_each = length(each.value.host_headers) > 0 ? [each.value.host_headers] : []
    content {
      host_header {
        values = condition.value
      }
    }
  }

  tags = merge(var.tags, { Name = "${each.value.name}-rule" })
}

resource "aws_route53_record" "alb" {
  count = var.domain_name == null ? 0 : 1

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}
