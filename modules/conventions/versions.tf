terraform {
  # Variable validations that refer to this module's outputs need Terraform >= 1.9.
  required_version = ">= 1.10.0"
}
