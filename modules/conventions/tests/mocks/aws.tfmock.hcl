# What every module's tests read from AWS's data sources, shared by all of them:
#   mock_provider "aws" { source = "../conventions/tests/mocks" }
# (the path is the module's, where terraform test runs). A module's own computed values
# (mock_resource) stay in its test file. One account, partition and region: us-west-1, the
# product spec's. The account id has 12 digits: a mocked provider still runs hashicorp/aws's
# validation (e.g. rds's copy vault ARN, verify.ValidARN).
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws", dns_suffix = "amazonaws.com", reverse_dns_prefix = "com.amazonaws" }
}

mock_data "aws_region" {
  defaults = { region = "us-west-1" }
}

# us-west-1 offers two zones in most accounts.
mock_data "aws_availability_zones" {
  defaults = { names = ["us-west-1a", "us-west-1c"] }
}

# The ELB account of us-west-1 (ALB access logs write as it).
mock_data "aws_elb_service_account" {
  defaults = { id = "027434742980", arn = "arn:aws:iam::027434742980:root" }
}
