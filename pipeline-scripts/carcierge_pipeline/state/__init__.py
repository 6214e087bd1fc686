"""Remote state: the S3 bucket and DynamoDB lock table of the Terraform backend.

``aws`` is the AWS access the set-up commands share, ``provision`` the idempotent bootstrap of
the backend (and its replica in a second region), ``locks`` the inspection of who holds an
environment's lock. Their public names are re-exported here for the CLI and the tests.
"""

# Each submodule's __all__ names what it publishes; this facade re-exports all of it.
from carcierge_pipeline.state import aws, locks, provision
from carcierge_pipeline.state.aws import *  # noqa: F403
from carcierge_pipeline.state.locks import *  # noqa: F403
from carcierge_pipeline.state.provision import *  # noqa: F403

__all__ = [*aws.__all__, *locks.__all__, *provision.__all__]
