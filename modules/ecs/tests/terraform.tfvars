# The inputs every test file of the ecs module starts from (terraform test loads this file);
# a file or run block overrides what it tests.
name_prefix           = "staging-carcierge"
environment           = "staging"
aws_region            = "us-west-1"
vpc_id                = "vpc-0123456789abcdef0"
public_subnet_ids     = ["subnet-0public0000000001", "subnet-0public0000000002"]
private_subnet_ids    = ["subnet-0private000000001", "subnet-0private000000002"]
alb_security_group_id = "sg-0alb00000000000001"
ecs_security_group_id = "sg-0ecs00000000000001"
kms_key_arn           = "arn:aws:kms:us-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
log_retention_days    = 14
ssl_certificate_arn   = "arn:aws:acm:us-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"

# The product spec's five services (its staging example).
services = {
  service1 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service1:1.0.0"
    container_port  = 3001
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    default_route   = true
  }
  service2 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service2:1.0.0"
    container_port  = 3002
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    default_route   = false
  }
  service3 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service3:1.0.0"
    container_port  = 3003
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    default_route   = false
  }
  service4 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service4:1.0.0"
    container_port  = 3004
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    default_route   = false
  }
  service5 = {
    container_image = "123456789012.dkr.ecr.us-west-1.amazonaws.com/carcierge-service5:1.0.0"
    container_port  = 3005
    desired_count   = 2
    cpu             = 512
    memory          = 1024
    default_route   = false
  }
}
