"""The pipeline's stages, one module each: validate, plan, analyse (security, cost, parity),
apply, and the scheduled drift check. A stage uses the shared machinery of the package (running
Terraform and its working directories, the plan model, state, the offline provider) and never
another stage; the CLI and the rehearsal compose them."""
