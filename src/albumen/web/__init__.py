"""Serving a built Immich web app (static files, index.html for its routes) or, without one, a hint page."""
