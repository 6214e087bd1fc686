# A staged deployment (docs/first-deployment.md): the services listed in
# services_awaiting_images get their repository, task definition, target group and role but no
# ECS service and no auto scaling; the others are untouched.
mock_provider "aws" {
  source = "../conventions/tests/mocks"
}

run "first_stage_creates_repositories_and_task_definitions_but_no_service" {
  command = plan

  variables {
    create_ecr_repositories  = true
    services_awaiting_images = ["service1", "service2", "service3", "service4", "service5"]
  }

  assert {
    condition     = length(aws_ecs_service.service) == 0 && length(aws_appautoscaling_target.service) == 0 && length(aws_appautoscaling_policy.cpu) == 0 && length(aws_appautoscaling_policy.memory) == 0
    error_message = "Every service awaiting its image must have no ECS service and no auto scaling."
  }

  assert {
    condition     = length(aws_ecr_repository.service) == length(var.services) && length(aws_ecs_task_definition.service) == length(var.services) && length(aws_lb_target_group.service) == length([for s in values(var.services) : s if try(s.public, true)])
    error_message = "Services awaiting their image must still get their repository, task definition and target group."
  }

  assert {
    condition     = length(output.service_names) == 0
    error_message = "No service name is reported while the services are held back (monitoring follows service_names)."
  }
}

run "a_new_service_awaits_its_image_the_others_run" {
  command = plan

  variables {
    create_ecr_repositories  = true
    services_awaiting_images = ["service5"]
  }

  assert {
    condition     = keys(aws_ecs_service.service) == [for key in sort(keys(var.services)) : key if key != "service5"] && !contains(keys(aws_appautoscaling_policy.cpu), "service5") && contains(keys(aws_ecs_task_definition.service), "service5")
    error_message = "Only the listed service is held back; it keeps its task definition."
  }
}

run "second_stage_starts_every_service" {
  command = plan

  variables {
    create_ecr_repositories = true
  }

  assert {
    condition     = length(aws_ecs_service.service) == length(var.services) && length(aws_appautoscaling_target.service) == length(var.services)
    error_message = "With no service awaiting its image, every service and scaling target is planned."
  }
}

run "an_unknown_key_is_refused" {
  command = plan

  variables {
    services_awaiting_images = ["service9"]
  }

  expect_failures = [var.services_awaiting_images]
}
