# Partial configuration: bucket, key, region, encryption and locking are supplied per
# environment by the pipeline at `terraform init` (see pipeline-scripts, `carcierge plan`).
terraform {
  backend "s3" {}
}
