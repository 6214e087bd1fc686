# Settings shared by every environment, and only those: Terraform loads this file for all four,
# so it must never hold a value that belongs to one environment. Each environment's own values
# (its name, network, services, data stores, alarms) live in environments/<env>.tfvars, declared
# without defaults, and the plan stage refuses a plan whose environment file misses one or that
# sets one here (README "Environments" shows the product spec's single-file example shape).
project_name = "carcierge"
