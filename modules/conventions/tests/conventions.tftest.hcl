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
