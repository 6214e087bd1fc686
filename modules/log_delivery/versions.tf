terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.61.0 is the first release with auth_token_wo / auth_token_wo_version on
      # aws_elasticache_replication_group (hashicorp/terraform-provider-aws#49268), the newest
      # argument the modules use; checked by
      # pipeline-scripts/tests/infrastructure/test_provider_versions.py.
      version = "~> 6.61"
    }
  }
}
