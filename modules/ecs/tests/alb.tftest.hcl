# The ALB: HTTPS with the certificate and a TLS 1.3/1.2 policy, HTTP redirected (301), a fixed
# 404 by default, access logs in a locked-down bucket; optional WAF, DNS alias and ECR.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}


run "listeners" {
  command = plan

  assert {
    condition = (
      aws_lb_listener.http.port == 80 && aws_lb_listener.http.protocol == "HTTP" &&
      aws_lb_listener.http.default_action[0].type == "redirect" &&
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "HTTP :80 must redirect permanently (301) to HTTPS :443"
  }

  assert {
    condition = (
      aws_lb_listener.https.port == 443 && aws_lb_listener.https.protocol == "HTTPS" &&
      aws_lb_listener.https.certificate_arn == var.ssl_certificate_arn &&
      aws_lb_listener.https.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    )
    error_message = "HTTPS :443 must use the certificate and the TLS 1.3/1.2 policy"
  }

  assert {
    condition = (
      aws_lb_listener.https.default_action[0].type == "fixed-response" &&
      aws_lb_listener.https.default_action[0].fixed_response[0].status_code == "404"
    )
    error_message = "requests no rule matches must get a fixed 404"
  }

  assert {
    condition     = alltrue([for rule in aws_lb_listener_rule.service : rule.action[0].type == "forward"]) && length(distinct([for rule in aws_lb_listener_rule.service : rule.priority])) == length(aws_lb_listener_rule.service)
    error_message = "every rule forwards, and rule priorities are unique"
  }
}

run "load_balancer" {
  command = plan

  assert {
    condition = (
      aws_lb.main.name == "staging-carcierge-alb-main" && aws_lb.main.internal == false &&
      aws_lb.main.load_balancer_type == "application" &&
      aws_lb.main.drop_invalid_header_fields == true &&
      aws_lb.main.enable_deletion_protection == true &&
      aws_lb.main.subnets == toset(var.public_subnet_ids) &&
      aws_lb.main.security_groups == toset([var.alb_security_group_id])
    )
    error_message = "the ALB is internet-facing in the public subnets, drops invalid headers and is deletion-protected by default"
  }

  assert {
    condition     = aws_lb.main.access_logs[0].enabled && aws_lb.main.access_logs[0].bucket == "staging-carcierge-alb-logs-123456789012-us-west-1" && aws_lb.main.access_logs[0].prefix == "alb"
    error_message = "access logs go to the module's bucket under alb/"
  }

  assert {
    condition = alltrue([for key, group in aws_lb_target_group.service :
      group.target_type == "ip" && group.protocol == "HTTP" && group.port == var.services[key].container_port &&
      group.vpc_id == var.vpc_id && group.deregistration_delay == "30" &&
      group.health_check[0].path == "/health" && group.health_check[0].port == "traffic-port"
    ])
    error_message = "target groups take ip targets on the container port, health-check the service's path and drain in 30 s"
  }

  assert {
    condition     = aws_ecs_service.service["service3"].load_balancer != null && one(aws_ecs_service.service["service3"].load_balancer).container_name == "service3" && one(aws_ecs_service.service["service3"].load_balancer).container_port == 3003
    error_message = "a public service registers its container and port with its target group"
  }

  assert {
    condition     = length(output.target_groups) > 0 && keys(output.target_groups) == keys(aws_lb_target_group.service) && alltrue([for group in values(output.target_groups) : keys(group) == ["arn", "arn_suffix"]])
    error_message = "the target_groups output gives each public service's target group ARN and ARN suffix"
  }
}

run "deletion_protection_off" {
  command = plan

  variables {
    alb_deletion_protection = false
  }

  assert {
    condition     = aws_lb.main.enable_deletion_protection == false && aws_s3_bucket.alb_logs.force_destroy == true
    error_message = "without deletion protection the ALB and its log bucket can be destroyed"
  }
}

run "access_log_bucket" {
  command = plan

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.alb_logs.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "ALB log delivery requires SSE-S3 (AES256)"
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.alb_logs.block_public_acls && aws_s3_bucket_public_access_block.alb_logs.block_public_policy &&
      aws_s3_bucket_public_access_block.alb_logs.ignore_public_acls && aws_s3_bucket_public_access_block.alb_logs.restrict_public_buckets &&
      aws_s3_bucket_ownership_controls.alb_logs.rule[0].object_ownership == "BucketOwnerEnforced"
    )
    error_message = "the log bucket blocks every form of public access and disables ACLs"
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.alb_logs.rule[0].status == "Enabled" && aws_s3_bucket_lifecycle_configuration.alb_logs.rule[0].expiration[0].days == 90
    error_message = "access logs expire (90 days by default)"
  }

  assert {
    condition = anytrue([for statement in jsondecode(aws_s3_bucket_policy.alb_logs.policy).Statement :
      statement.Effect == "Allow" && statement.Principal == { AWS = "arn:aws:iam::027434742980:root" } &&
      statement.Action == "s3:PutObject" &&
      statement.Resource == "arn:aws:s3:::staging-carcierge-alb-logs-123456789012-us-west-1/alb/AWSLogs/123456789012/*"
    ])
    error_message = "us-west-1's Elastic Load Balancing account may write only under alb/AWSLogs/<account>/"
  }

  assert {
    condition = anytrue([for statement in jsondecode(aws_s3_bucket_policy.alb_logs.policy).Statement :
      statement.Effect == "Deny" && statement.Principal == "*" && statement.Action == "s3:*" &&
      statement.Condition == { Bool = { "aws:SecureTransport" = "false" } }
    ])
    error_message = "the log bucket policy denies every request without TLS"
  }

  assert {
    condition     = length([for statement in jsondecode(aws_s3_bucket_policy.alb_logs.policy).Statement : statement if statement.Effect == "Allow"]) == 1
    error_message = "log delivery is the only principal the bucket policy allows"
  }
}

run "optional_features_off_by_default" {
  command = plan

  assert {
    condition     = length(aws_wafv2_web_acl_association.alb) == 0 && length(aws_route53_record.alb) == 0 && length(aws_ecr_repository.service) == 0 && length(aws_ecr_lifecycle_policy.service) == 0
    error_message = "WAF, DNS and ECR are created only when asked for"
  }
}

run "optional_features_on" {
  command = plan

  variables {
    waf_web_acl_arn         = "arn:aws:wafv2:us-west-1:123456789012:regional/webacl/carcierge/a1b2c3d4-5678-90ab-cdef-0123456789ab"
    domain_name             = "api.carcierge.example.com"
    route53_zone_id         = "Z0123456789ABCDEFGHIJ"
    create_ecr_repositories = true
  }

  assert {
    condition     = aws_wafv2_web_acl_association.alb[0].web_acl_arn == var.waf_web_acl_arn
    error_message = "the WAF web ACL is associated with the ALB"
  }

  assert {
    condition     = aws_route53_record.alb[0].name == "api.carcierge.example.com" && aws_route53_record.alb[0].type == "A" && aws_route53_record.alb[0].zone_id == var.route53_zone_id
    error_message = "domain_name gets an alias A record in the zone"
  }

  assert {
    condition = length(aws_ecr_repository.service) == 5 && alltrue([for key, repository in aws_ecr_repository.service :
      repository.name == "staging-carcierge-${key}" && repository.image_tag_mutability == "IMMUTABLE" &&
      repository.image_scanning_configuration[0].scan_on_push && repository.encryption_configuration[0].encryption_type == "KMS"
    ]) && length(aws_ecr_lifecycle_policy.service) == 5
    error_message = "one immutable, scanned, KMS-encrypted repository with a lifecycle policy per service"
  }

  assert {
    condition     = contains(flatten([for statement in jsondecode(aws_iam_role_policy.execution.policy).Statement : statement.Resource if statement.Sid == "EcrPullServiceImages"]), "arn:aws:ecr:us-west-1:123456789012:repository/staging-carcierge-service1")
    error_message = "the execution role may pull from the created repositories"
  }
}

# The module's own web ACL logs to its own log group: CloudWatch Logs' delivery service may
# write there only on behalf of this account's resources in this region (confused deputy).
run "own_waf_log_delivery_is_scoped_to_this_account" {
  command = plan

  variables {
    create_waf = true
  }

  assert {
    condition = jsondecode(aws_cloudwatch_log_resource_policy.waf[0].policy_document).Statement[0].Condition == {
      StringEquals = { "aws:SourceAccount" = "123456789012" }
      ArnLike      = { "aws:SourceArn" = "arn:aws:logs:us-west-1:123456789012:*" }
    }
    error_message = "WAF log delivery is limited to this account's log deliveries in this region"
  }
}
