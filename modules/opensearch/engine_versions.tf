# Which OpenSearch versions Amazon OpenSearch Service creates domains with: one table, read
# 2026-12-01. Refresh it when AWS adds versions or ends support for some.
#
# Sources:
# - Amazon OpenSearch Service Developer Guide, "Supported versions of OpenSearch and
#   Elasticsearch" (docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html
#   #choosing-version), as tracked by endoflife.date (products/amazon-opensearch.md): OpenSearch
#   1.0-1.2 and 2.3-2.9 ended standard support on 2025-11-07 and Extended Support on 2026-11-07;
#   1.3, 2.11-2.19 and 3.x have no end date.
# - AWS Big Data Blog, "Amazon OpenSearch Service announces standard and extended support dates
#   for Elasticsearch and OpenSearch versions" (the 2025-11-07 date for 2.3-2.9).
# - OpenSearch Service release notes: 3.1 (2025-09), 3.3 (2025-11), 3.5 (2026-03); the service
#   offers only these minors of 3.x, and of 2.x only the odd ones listed.
locals {
  opensearch_creatable_versions = [
    "OpenSearch_1.3",
    "OpenSearch_2.11", "OpenSearch_2.13", "OpenSearch_2.15", "OpenSearch_2.17", "OpenSearch_2.19",
    "OpenSearch_3.1", "OpenSearch_3.3", "OpenSearch_3.5",
  ]
  # A version newer than every listed one is accepted (released after the table was read).
  opensearch_newest_listed = max([for version in local.opensearch_creatable_versions :
    tonumber(split(".", trimprefix(version, "OpenSearch_"))[0]) * 1000 + tonumber(split(".", version)[1])
  ]...)
}
