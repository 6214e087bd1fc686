# The staged first deployment (docs/first-deployment.md): with start_services = false the
# repositories, task definitions, target groups and roles are planned but no ECS service and no
# auto scaling; the services wait for what services_after names.
mock_provider "aws" {
  source = "./tests/mocks"
}

run "first_stage_creates_repositories_and_task_definitions_but_no_service" {
  command = plan

  variables {
    create_ecr_repositories = true
    start_services          = false
  }

  assert {
    condition     = length(aws_ecs_service.service) == 0 && length(aws_appautoscaling_target.service) == 0 && length(aws_appautoscaling_policy.cpu) == 0 && length(aws_appautoscaling_policy.memory) == 0
    error_message = "start_services = false must plan no ECS service and no auto scaling."
  }

  assert {
    condition     = length(aws_ecr_repository.service) == length(var.services) && length(aws_ecs_task_definition.service) == length(var.services) && length(aws_lb_target_group.service) == length([for s in values(var.services) : s if try(s.public, true)])
    error_message = "start_services = false must still plan every repository, task definition and target group."
  }

  assert {
    condition     = length(output.service_names) == 0
    error_message = "No service name is reported while the services are held back (monitoring follows service_names)."
  }
}

run "second_stage_starts_every_service" {
  command = plan

  variables {
    create_ecr_repositories = true
    start_services          = true
  }

  assert {
    condition     = length(aws_ecs_service.service) == length(var.services) && length(aws_appautoscaling_target.service) == length(var.services)
    error_message = "start_services = true must plan one ECS service and one scaling target per service."
  }
}
