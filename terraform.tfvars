# The product spec's single-file example (staging). The pipeline and `make plan` use
# environments/<env>.tfvars instead; see README "Environments".
environment  = "staging"
project_name = "carcierge"

services = {
  service1 = {
    container_image = "your-ecr-repo/service1:latest"
    container_port  = 3001
    desired_count   = 2
    cpu             = 512
    memory          = 1024
  }
  service2 = {
    container_image = "your-ecr-repo/service2:latest"
    container_port  = 3002
    desired_count   = 2
    cpu             = 512
    memory          = 1024
  }
  service3 = {
    container_image = "your-ecr-repo/service3:latest"
    container_port  = 3003
    desired_count   = 2
    cpu             = 512
    memory          = 1024
  }
  service4 = {
    container_image = "your-ecr-repo/service4:latest"
    container_port  = 3004
    desired_count   = 2
    cpu             = 512
    memory          = 1024
  }
  service5 = {
    container_image = "your-ecr-repo/service5:latest"
    container_port  = 3005
    desired_count   = 2
    cpu             = 512
    memory          = 1024
  }
}

# SSL certificate of the ALB (AWS Certificate Manager, same region).
ssl_certificate_arn = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"

# Database Configuration (the product spec's example as written; the module adds TLS, KMS,
# 7-day backups, managed master password). A pinned minor such as "14.9" is a valid input but
# stops being creatable once AWS retires that minor: the environment files use a major ("16").
rds_config = {
  engine            = "postgres"
  engine_version    = "14.9"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  database_name     = "carcierge"
  username          = "carcierge_user"
}

# Roles that may assume the OpenSearch master role (here: the account's IAM Identity Center
# administrators; the generated role name ends in a random suffix, hence the *).
opensearch_admin_principal_arns = [
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*",
]

# OpenSearch Configuration (the product spec's example as written; t3.small.search supports
# encryption at rest, node-to-node encryption and fine-grained access control).
opensearch_config = {
  engine_version = "OpenSearch_2.3"
  instance_type  = "t3.small.search"
  instance_count = 1
  volume_size    = 20
}
