# staging: deployed from branch main.
environment  = "staging"
project_name = "carcierge"
aws_region   = "us-west-1"

kms_deletion_window_in_days = 7

# Shared
log_retention_days  = 14
deletion_protection = false
