# What the ecs module's tests read from AWS, shared by every test file
# (mock_provider "aws" { source = "./tests/mocks" }).
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_elb_service_account" {
  defaults = { id = "027434742980", arn = "arn:aws:iam::027434742980:root" }
}
