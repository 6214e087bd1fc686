# The one AWS provider configuration; child modules inherit it and configure none.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.common_tags
  }
}
