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
