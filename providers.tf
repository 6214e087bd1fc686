# The one AWS provider configuration; child modules inherit it and configure none.
provider "aws" {
  region = var.aws_region
  # Each environment file names its account; any other account's credentials are refused
  # before anything is read (provider docs, "allowed_account_ids").
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = local.common_tags
  }
}
