"""Search runs no background jobs of its own: it reads what the metadata and media jobs wrote."""
