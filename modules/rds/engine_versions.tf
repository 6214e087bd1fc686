# Which RDS for PostgreSQL versions RDS still creates: one table, read 2026-12-01. Refresh it
# from the sources when AWS retires minors (a few times a year).
#
# Sources:
# - Amazon RDS for PostgreSQL Release Notes, "Release calendars for Amazon RDS for PostgreSQL"
#   (docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-release-calendar.html).
# - AWS Health notice of 2026 on RDS for PostgreSQL minors (quoted e.g. in the saayam-for-all/
#   database wiki "AWS RDS instances - Health Checks", 2026-05-30): "Starting May 1, 2026, you will
#   not be able to create new database instances on ... 14.14-14.17, 15.9-15.12, 16.5-16.8,
#   17.1-17.4"; older minors of those majors were retired before.
# - Amazon RDS User Guide, "Overview of Amazon RDS Extended Support": databases can still be
#   created on a major past its RDS end of standard support (13: 2026-02-28), enrolled in Extended
#   Support at extra charge; RDS then runs the last minor released before that date, so only the
#   major ("13") is accepted there, not a pinned minor.
locals {
  # Oldest minor RDS still creates, per major in standard support. A major newer than every key
  # is accepted as is (not retired yet); a pinned minor of an older major is refused.
  postgres_oldest_creatable_minor = {
    "14" = 18
    "15" = 13
    "16" = 9
    "17" = 5
  }
}
