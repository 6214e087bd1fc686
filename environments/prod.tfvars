# prod: deployed from branch prod.
environment  = "prod"
project_name = "carcierge"
aws_region   = "us-west-1"

kms_deletion_window_in_days = 30

# Shared
log_retention_days  = 90
deletion_protection = true
