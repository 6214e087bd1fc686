# uat: deployed from branch uat.
environment  = "uat"
project_name = "carcierge"
aws_region   = "us-west-1"

kms_deletion_window_in_days = 30

# Shared
log_retention_days  = 30
deletion_protection = true
