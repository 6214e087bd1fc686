# Settings shared by every environment, and only those: Terraform loads this file for all four,
# so it must never hold a value that belongs to one environment. Each environment's own values
# (its name, network, which services run and how, data stores, alarms) live in
# environments/<env>.tfvars, declared without defaults, and the plan stage refuses a plan whose
# environment file misses one or that sets one here (README "Environments" shows the product
# spec's single-file example shape).
project_name = "carcierge"

# The service catalog: what every environment shares about each service (its port, routing and
# task size). An environment file lists the services it runs, with only what differs there
# (images, counts, capacities, Spot share: its service_defaults and services). Adding a service
# is an entry here plus one line in each environment that runs it (docs/runbooks/add-service.md).
# Any attribute of modules/ecs's services shape may go here, when all four agree on it.
service_catalog = {
  service1 = {
    container_port = 3001
    cpu            = 512
    memory         = 1024
    default_route  = true
  }
  service2 = {
    container_port = 3002
    cpu            = 512
    memory         = 1024
    path_patterns  = ["/service2", "/service2/*"]
  }
  service3 = {
    container_port = 3003
    cpu            = 512
    memory         = 1024
    path_patterns  = ["/service3", "/service3/*"]
  }
  service4 = {
    container_port = 3004
    cpu            = 512
    memory         = 1024
    path_patterns  = ["/service4", "/service4/*"]
  }
  service5 = {
    container_port = 3005
    cpu            = 512
    memory         = 1024
    path_patterns  = ["/service5", "/service5/*"]
  }
}
