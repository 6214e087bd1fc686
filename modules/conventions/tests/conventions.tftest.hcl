# The conventions module publishes its lists unchanged; the Python package's agreement with
# them is tested in pipeline-scripts/tests/infrastructure/test_conventions.py.

run "environments_are_in_promotion_order" {
  command = plan

  assert {
    condition     = length(output.environments) == 4 && output.environments[0] == "staging" && output.environments[3] == "prod"
    error_message = "the environments run from staging (first) to prod (last)"
  }
}

run "retention_values_are_ascending_and_cover_the_environments" {
  command = plan

  assert {
    condition     = alltrue([for i in range(1, length(output.log_retention_days)) : output.log_retention_days[i] > output.log_retention_days[i - 1]])
    error_message = "retention values are listed once each, ascending"
  }

  assert {
    condition     = alltrue([for days in [14, 30, 90] : contains(output.log_retention_days, days)])
    error_message = "the environments' retention values (14, 30, 90 days) must be accepted"
  }
}

# The shared inputs every module passes to its conventions call (variables.tf): checked here
# once, so the modules' own tests cannot expect these failures (terraform test addresses only
# the module under test). The values are a module's inputs: log_delivery's maximum length (19:
# its pipeline <name_prefix>-logs-alb against OpenSearch Ingestion's 28 characters) is the
# tightest one a module sets.
variables {
  inputs = {
    name_prefix              = "staging-abcdefghijk"
    environment              = "staging"
    kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    log_retention_days       = 14
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/staging-carcierge-ci-boundary"
  }
  name_prefix_max_length = { length = 19, because = "the pipeline <name_prefix>-logs-alb fits 28 characters" }
  data_store_ports       = { redis = 1024, opensearch = 443, rds = 65535 } # the edges
}

run "accepts_valid_inputs_and_a_name_prefix_of_the_maximum_length" {
  command = plan

  assert {
    condition     = alltrue([for environment in output.environments : can(regex(output.name_prefix_pattern, format(output.name_prefix_format, environment, "carcierge")))])
    error_message = "the root's name_prefix <environment>-<project> must match the naming pattern in every environment"
  }

  assert {
    condition     = format(output.name_prefix_format, "staging", "carcierge") == "staging-carcierge" && can(regex(output.project_name_pattern, "carcierge"))
    error_message = "name_prefix is <environment>-<project>"
  }
}

run "accepts_no_inputs" {
  command = plan

  variables {
    inputs = {}
  }
}

# One character more than the module's longest (staging-<11 characters>-logs-alb is 28).
run "refuses_a_name_prefix_longer_than_the_module_allows" {
  command = plan

  variables {
    inputs = { name_prefix = "staging-abcdefghijkl" }
  }

  expect_failures = [var.inputs]
}

# RDS identifiers and ElastiCache replication groups refuse two hyphens in a row.
run "refuses_a_double_hyphen" {
  command = plan

  variables {
    inputs = { name_prefix = "staging--carcierge" }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_trailing_hyphen" {
  command = plan

  variables {
    inputs = { name_prefix = "staging-carcierge-" }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_leading_hyphen" {
  command = plan

  variables {
    inputs = { name_prefix = "-carcierge" }
  }

  expect_failures = [var.inputs]
}

run "refuses_capitals_and_underscores" {
  command = plan

  variables {
    inputs = { name_prefix = "Staging_Carcierge" }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_name_prefix_shorter_than_three" {
  command = plan

  variables {
    inputs = { name_prefix = "ab" }
  }

  expect_failures = [var.inputs]
}

run "refuses_an_unknown_environment" {
  command = plan

  variables {
    inputs = { environment = "dev" }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_kms_alias_for_a_key_arn" {
  command = plan

  variables {
    inputs = { kms_key_arn = "alias/staging-carcierge-main" }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_retention_cloudwatch_does_not_offer" {
  command = plan

  variables {
    inputs = { log_retention_days = 10 }
  }

  expect_failures = [var.inputs]
}

run "refuses_a_role_as_permissions_boundary" {
  command = plan

  variables {
    inputs = { permissions_boundary_arn = "arn:aws:iam::123456789012:role/staging-carcierge-ci-boundary" }
  }

  expect_failures = [var.inputs]
}

# Redis on 636, RDS on 80 (modules/vpc's and modules/security_groups' former cases): below the
# unprivileged range and not 443, so the private tier's network ACL would not send to them.
run "refuses_a_data_store_port_the_private_tier_cannot_send_to" {
  command = plan

  variables {
    data_store_ports = { redis = 636, opensearch = 443, rds = 5432 }
  }

  expect_failures = [var.data_store_ports]
}

run "refuses_a_privileged_rds_port" {
  command = plan

  variables {
    data_store_ports = { redis = 6379, opensearch = 443, rds = 80 }
  }

  expect_failures = [var.data_store_ports]
}
