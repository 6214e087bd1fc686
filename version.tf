terraform {
  # >= 1.10: the S3 backend's native lockfile (use_lockfile); the pipeline pins 1.15.5.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
