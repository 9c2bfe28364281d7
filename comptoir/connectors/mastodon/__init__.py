"""Mastodon (and compatible servers): timelines, mentions, conversations, statuses, moderation."""
