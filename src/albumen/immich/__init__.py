"""Immich's API as data: the generated DTOs, the operations table and the spec."""

import email_validator

# Immich accepts any syntactically valid address; home set-ups and its own e2e suite use `.test`,
# `.local` and `.localhost`, which email-validator refuses as special-use unless this list is empty.
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()
