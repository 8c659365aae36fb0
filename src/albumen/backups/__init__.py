"""Database backups, as Immich makes them: a gzipped plain-SQL pg_dump in the backups location."""
