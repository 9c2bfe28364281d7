"""Discourse forums: read posts or topics, publish, reply, moderate, and receive signed webhooks."""
