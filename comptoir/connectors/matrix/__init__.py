"""Matrix: room timelines, messages and threaded replies, redaction, kick and ban."""
