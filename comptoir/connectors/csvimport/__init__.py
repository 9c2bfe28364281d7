"""CSV import: comments and posts exported from social networks, read into items."""
