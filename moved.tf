# Refactors that moved resources: an existing state follows them without replacing anything.

# The environment key and the backup key moved into modules/kms (issue 18: the root composes).
moved {
  from = aws_kms_key.main
  to   = module.kms.aws_kms_key.this
}

moved {
  from = aws_kms_alias.main
  to   = module.kms.aws_kms_alias.this
}

moved {
  from = aws_kms_key.backup[0]
  to   = module.backup_kms[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.backup[0]
  to   = module.backup_kms[0].aws_kms_alias.this
}
