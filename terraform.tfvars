# The product spec's single-file example (staging). The pipeline and `make plan` use
# environments/<env>.tfvars instead; see README "Environments".
environment  = "staging"
project_name = "carcierge"
