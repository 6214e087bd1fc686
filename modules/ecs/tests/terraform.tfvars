# The inputs every test file of the ecs module starts from (terraform test loads this file);
# a file or run block overrides what it tests.
name_prefix           = "staging-carcierge"
environment           = "staging"
aws_region            = "us-west-1"
vpc_id                = "vpc-0123456789abcdef0"
public_subnet_ids     = ["subnet-0public0000000001", "subnet-0public0000000002"]
private_subnet_ids    = ["subnet-0private000000001", "subnet-0private000000002"]
alb_security_group_id = "sg-0alb00000000000001"
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

# Each service's own security group (modules/security_groups), for every service key the tests use.
service_security_group_ids = {
  "service1"        = "sg-00000000000000001"
  "service2"        = "sg-00000000000000002"
  "service3"        = "sg-00000000000000003"
  "service4"        = "sg-00000000000000004"
  "service5"        = "sg-00000000000000005"
  "api"             = "sg-00000000000000006"
  "a"               = "sg-00000000000000007"
  "b"               = "sg-00000000000000008"
  "web"             = "sg-00000000000000009"
  "worker"          = "sg-0000000000000000a"
  "abcdefghijklmn"  = "sg-0000000000000000b"
  "abcdefghijklmno" = "sg-0000000000000000c"
  "ondemand"        = "sg-0000000000000000d"
  "legacy"          = "sg-0000000000000000e"
  "api-"            = "sg-0000000000000000f"
  "s1"              = "sg-00000000000000010"
  "allspot"         = "sg-00000000000000011"
  "mixed"           = "sg-00000000000000012"
  "arm"             = "sg-00000000000000013"
  "big"             = "sg-00000000000000014"
  "svc1"            = "sg-00000000000000015"
  "svc2"            = "sg-00000000000000016"
  "svc3"            = "sg-00000000000000017"
  "svc4"            = "sg-00000000000000018"
  "svc5"            = "sg-00000000000000019"
  "svc6"            = "sg-0000000000000001a"
  "svc7"            = "sg-0000000000000001b"
  "svc8"            = "sg-0000000000000001c"
  "svc9"            = "sg-0000000000000001d"
  "svc10"           = "sg-0000000000000001e"
  "svc11"           = "sg-0000000000000001f"
  "svc12"           = "sg-00000000000000020"
}
