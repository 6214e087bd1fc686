"""Offline preview machinery: everything that lets the real Terraform engine validate, test
and plan this project without the Terraform registry or AWS.

It stands in for the hashicorp/aws provider with a local plugin that serves the provider's
real schema and plans creations the way a fresh account would. Nothing outside this package
depends on it except the mode switch in ``carcierge_pipeline.terraform``; deleting it leaves a
plain Terraform project that runs with the real provider.
"""
