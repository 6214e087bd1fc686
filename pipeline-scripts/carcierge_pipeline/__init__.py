"""Carcierge platform tooling: GitLab pipeline stages, the pinned Terraform engine and the
offline preview harness."""

__all__ = ["__version__"]
__version__ = "0.1.0"
