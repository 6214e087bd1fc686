# prod: deployed from branch prod.
environment  = "prod"
project_name = "carcierge"
aws_region   = "us-west-1"

kms_deletion_window_in_days = 30

# Shared
log_retention_days  = 90
deletion_protection = true

# Services: the five Carcierge sub-projects (images must exist in ECR before a real apply).
services = {
  service1 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0"
    container_port  = 3001
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    min_capacity    = 2
    max_capacity    = 10
    default_route   = true
  }
  service2 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service2:1.0.0"
    container_port  = 3002
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    min_capacity    = 2
    max_capacity    = 10
    path_patterns   = ["/service2", "/service2/*"]
  }
  service3 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service3:1.0.0"
    container_port  = 3003
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    min_capacity    = 2
    max_capacity    = 10
    path_patterns   = ["/service3", "/service3/*"]
  }
  service4 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service4:1.0.0"
    container_port  = 3004
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    min_capacity    = 2
    max_capacity    = 10
    path_patterns   = ["/service4", "/service4/*"]
  }
  service5 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service5:1.0.0"
    container_port  = 3005
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    min_capacity    = 2
    max_capacity    = 10
    path_patterns   = ["/service5", "/service5/*"]
  }
}
