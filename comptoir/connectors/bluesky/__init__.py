"""Bluesky (AT Protocol): own posts, mentions and searches; posts with facets and images; moderation."""
