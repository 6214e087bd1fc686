# GENERATED from pipeline-scripts/carcierge_pipeline/rules/engines.py (the owner of these
# tables, with their sources; read 2026-12-01); do not edit by hand. After changing the tables
# there: .venv/bin/python -m carcierge_pipeline.rules.engines > modules/rds/engine_versions.tf
# (a test fails while this file and that rendering differ).
locals {
  # Per major RDS for PostgreSQL lists: the lowest minor it still creates. A pinned minor of a
  # major newer than every key is accepted as is (not retired yet).
  postgres_oldest_creatable_minor = {
    "11" = 22
    "12" = 22
    "13" = 17
    "14" = 18
    "15" = 13
    "16" = 9
    "17" = 5
    "18" = 1
  }

  # Minors at or above that floor in NO_CREATE status (no new instances).
  postgres_no_create_minors = ["13.17", "13.19", "14.21", "15.16", "16.12", "17.8", "18.2"]
}
