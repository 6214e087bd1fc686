# Bad inputs are rejected at plan time by the variable that carries them; good edge values pass.
# Each services case breaks exactly one rule; the other inputs' bad values share one run. (The
# messages themselves are checked by pipeline-scripts/tests/infrastructure/test_compute_plans.py,
# which reads Terraform's output.)
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

run "invalid_cpu_memory_pair" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 512, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "memory_off_the_fargate_step" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 8192, memory = 18432 }
    }
  }

  expect_failures = [var.services]
}

# 0.25 vCPU takes 512, 1024 or 2048 MiB only: not every 512 MiB step in between.
run "quarter_vcpu_between_its_sizes" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 1536 }
    }
  }

  expect_failures = [var.services]
}

run "port_zero" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 0, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "port_above_65535" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 65536, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "min_above_max" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 2, cpu = 256, memory = 512, min_capacity = 3, max_capacity = 2 }
    }
  }

  expect_failures = [var.services]
}

run "desired_above_max" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 5, cpu = 256, memory = 512, max_capacity = 4 }
    }
  }

  expect_failures = [var.services]
}

run "desired_below_min" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, min_capacity = 2, max_capacity = 4 }
    }
  }

  expect_failures = [var.services]
}

run "overlong_service_key" {
  command = plan

  variables {
    services = {
      abcdefghijklmno = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "key_with_uppercase" {
  command = plan

  variables {
    services = {
      Service1 = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "key_ending_in_hyphen" {
  command = plan

  variables {
    services = {
      api- = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "image_with_spaces" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx latest", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "image_with_uppercase_repository" {
  command = plan

  variables {
    services = {
      api = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/Carcierge:1.0", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "image_with_empty_tag" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "image_with_bad_digest" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx@sha256:abc", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "unknown_cpu_architecture" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, cpu_architecture = "AMD64" }
    }
  }

  expect_failures = [var.services]
}

run "spot_above_100" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, spot = 101 }
    }
  }

  expect_failures = [var.services]
}

run "cpu_target_zero" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, cpu_target = 0 }
    }
  }

  expect_failures = [var.services]
}

run "memory_target_above_100" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, memory_target = 101 }
    }
  }

  expect_failures = [var.services]
}

run "health_check_path_without_slash" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, health_check_path = "health" }
    }
  }

  expect_failures = [var.services]
}

run "two_default_routes" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, default_route = true }
      b = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, default_route = true }
    }
  }

  expect_failures = [var.services]
}

run "private_default_route" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, default_route = true, public = false }
    }
  }

  expect_failures = [var.services]
}

run "duplicate_priority" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, priority = 20 }
      b = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "priority_of_the_default_route" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, priority = 50000 }
    }
  }

  expect_failures = [var.services]
}

run "too_many_routing_values" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, path_patterns = ["/1", "/2", "/3"], host_headers = ["a.example.com", "b.example.com", "c.example.com"] }
    }
  }

  expect_failures = [var.services]
}

run "path_pattern_without_slash" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, path_patterns = ["api/*"] }
    }
  }

  expect_failures = [var.services]
}

run "secret_that_is_not_a_secrets_manager_arn" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, secrets = { DB_PASSWORD = "arn:aws:ssm:us-west-1:123456789012:parameter/db" } }
    }
  }

  expect_failures = [var.services]
}

run "secret_arn_without_random_suffix" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, secrets = { DB_PASSWORD = "arn:aws:secretsmanager:us-west-1:123456789012:secret:db" } }
    }
  }

  expect_failures = [var.services]
}

run "environment_name_with_dash" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, environment = { "LOG-LEVEL" = "info" } }
    }
  }

  expect_failures = [var.services]
}

run "empty_command" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, command = [] }
    }
  }

  expect_failures = [var.services]
}

run "empty_services_map" {
  command = plan

  variables {
    services = {}
  }

  expect_failures = [var.services]
}

run "certificate_that_is_not_acm" {
  command = plan

  variables {
    ssl_certificate_arn = "arn:aws:iam::123456789012:server-certificate/carcierge"
  }

  expect_failures = [var.ssl_certificate_arn]
}

# The inputs besides services, one bad value each, set together: every one is listed in
# expect_failures, which fails the run if any of them is accepted.
run "bad_edge_inputs" {
  command = plan

  variables {
    # an ACM certificate of another region than the ALB's
    ssl_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    # a TLS policy allowing TLS 1.0
    ssl_policy = "ELBSecurityPolicy-2016-08"
    # a domain without its Route 53 zone
    domain_name = "api.carcierge.example.com"
    # a CloudFront (global) web ACL
    waf_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/carcierge/a1b2c3d4-5678-90ab-cdef-0123456789ab"
    # a secret value instead of a Secrets Manager ARN
    shared_secrets = { DB_PASSWORD = "hunter2" }
    # one public subnet: an ALB needs two AZs
    public_subnet_ids = ["subnet-0public0000000001"]
  }

  expect_failures = [var.ssl_certificate_arn, var.ssl_policy, var.domain_name, var.waf_web_acl_arn, var.shared_secrets, var.public_subnet_ids]
}

run "good_edge_values_are_accepted" {
  command = plan

  variables {
    services = {
      # The product spec's example image reference, without a registry host.
      # At the ALB's limits: 3 path patterns with every allowed character, 2 host headers
      # (5 values in the rule), 4 wildcards.
      service1 = { container_image = "your-ecr-repo/service1:latest", container_port = 3001, desired_count = 2, cpu = 512, memory = 1024, path_patterns = ["/api/*", "/v?/it's/@me:a+b&c~$\"d\"", "/x_y-z.json"], host_headers = ["*.example.com", "api-2.example.org"] }
      big      = { container_image = "registry.example.com:5000/team/big@sha256:${sha256("big")}", container_port = 65535, desired_count = 0, min_capacity = 0, max_capacity = 1, cpu = 16384, memory = 122880, spot = 100 }
      arm      = { container_image = "public.ecr.aws/docker/library/nginx:1.27-alpine", container_port = 1024, desired_count = 3, min_capacity = 3, max_capacity = 3, cpu = 8192, memory = 16384, cpu_architecture = "ARM64", priority = 49999 }
      web      = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 2048, default_route = true, host_headers = ["www.example.com", "*.example.net", "shop?.example.io"] }
    }
    shared_secrets  = { RDS = "arn:aws:secretsmanager:us-west-1:123456789012:secret:rds!db-0a1b2c3d-4e5f-6789-abcd-ef0123456789-AbC123" }
    domain_name     = "carcierge.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    ssl_policy      = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  }

  assert {
    condition     = length(aws_ecs_service.service) == 4 && aws_lb_listener_rule.service["arm"].priority == 49999 && aws_lb_listener_rule.service["web"].priority == 50000
    error_message = "valid edge values must plan"
  }

  assert {
    condition     = [for condition in aws_lb_listener_rule.service["service1"].condition : condition.path_pattern[0].values if length(condition.path_pattern) > 0] == [toset(["/api/*", "/v?/it's/@me:a+b&c~$\"d\"", "/x_y-z.json"])] && [for condition in aws_lb_listener_rule.service["web"].condition : condition.host_header[0].values if length(condition.host_header) > 0] == [toset(["www.example.com", "*.example.net", "shop?.example.io"])]
    error_message = "routing values at the ALB's limits must reach the listener rules unchanged"
  }
}

# ALB listener rules: at most 3 values per condition, 5 per rule, 5 wildcards per rule; path and
# host characters as AWS documents them (see the services validations).
run "four_path_patterns" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, path_patterns = ["/1", "/2", "/3", "/4"] }
    }
  }

  expect_failures = [var.services]
}

run "four_host_headers" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, host_headers = ["a.example.com", "b.example.com", "c.example.com", "d.example.com"] }
    }
  }

  expect_failures = [var.services]
}

run "six_wildcards_in_a_rule" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, path_patterns = ["/a/*/?/*", "/b/*/?/*"] }
    }
  }

  expect_failures = [var.services]
}

run "path_pattern_with_a_character_alb_refuses" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, path_patterns = ["/items/{id}"] }
    }
  }

  expect_failures = [var.services]
}

run "host_header_without_a_dot" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, host_headers = ["localhost"] }
    }
  }

  expect_failures = [var.services]
}

run "arm64_on_fargate_spot" {
  command = plan

  variables {
    services = {
      a = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, cpu_architecture = "ARM64", spot = 50 }
    }
  }

  expect_failures = [var.services]
}

# The operator task's names are <name_prefix>-ops: a service keyed ops would share its log
# group, role and task family (modules/conventions, reserved_service_keys).
run "a_service_keyed_ops_is_refused" {
  command = plan

  variables {
    services = {
      ops = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

# uid 0 written with leading zeros is still root: the runtime reads the uid as a number
# (review 2026-12-07 L3).
run "user_uid_zero_with_leading_zeros" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, user = "00" }
    }
  }

  expect_failures = [var.services]
}

run "user_uid_zero_with_leading_zeros_and_gid" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, user = "000:1000" }
    }
  }

  expect_failures = [var.services]
}

run "user_root_by_name" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, user = "root:1000" }
    }
  }

  expect_failures = [var.services]
}

run "user_uid_with_a_leading_zero_but_not_root_passes" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, user = "01000:1000" }
    }
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.service["api"].container_definitions)[0].user == "01000:1000"
    error_message = "a non-zero uid written with a leading zero is not root and passes"
  }
}

# Validations the root's services declaration had until the module became the one owner of the
# shape (the root passes var.services through): every one of them refuses here.

# services.*.callers lets another service's group through its security group (the root's
# modules/security_groups, from the output services): it must name another service.
run "callers_must_be_other_services" {
  command = plan

  variables {
    services = {
      service1 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0", container_port = 3001, desired_count = 1, cpu = 256, memory = 512, callers = ["service9"] }
    }
  }

  expect_failures = [var.services]
}

run "a_service_is_not_its_own_caller" {
  command = plan

  variables {
    services = {
      service1 = { container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0", container_port = 3001, desired_count = 1, cpu = 256, memory = 512, callers = ["service1"] }
    }
  }

  expect_failures = [var.services]
}

run "callers_default_to_none_and_reach_the_output" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512, callers = ["web"] }
      web = { container_image = "nginx:1.27", container_port = 8081, desired_count = 1, cpu = 256, memory = 512, default_route = true }
    }
  }

  assert {
    condition     = output.services["api"].callers == tolist(["web"]) && length(output.services["web"].callers) == 0 && output.services["api"].public == true && output.services["api"].spot == 0
    error_message = "the output services is the input with every optional attribute's default: what the root gives modules/security_groups"
  }
}

run "privileged_port" {
  command = plan

  variables {
    services = {
      api = { container_image = "nginx:1.27", container_port = 1023, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "key_of_a_log_source" {
  command = plan

  variables {
    services = {
      alb = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "key_prefixing_an_index_family_of_no_service" {
  command = plan

  variables {
    services = {
      security = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "key_prefixing_another_key" {
  command = plan

  variables {
    services = {
      api       = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
      api-admin = { container_image = "nginx:1.27", container_port = 8081, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}

run "image_by_tag_in_prod" {
  command = plan

  variables {
    name_prefix = "prod-carcierge"
    environment = "prod"
    services = {
      api = { container_image = "nginx:1.27", container_port = 8080, desired_count = 1, cpu = 256, memory = 512 }
    }
  }

  expect_failures = [var.services]
}
