"""A counter per key and hour in Django's cache, for public forms that must not be hammered."""

from django.core.cache import cache


def hits_this_hour(key: str) -> int:
    """Count one more hit for ``key`` and return how many there were in the current hour (the window starts at the
    first hit). The cache is the default one: per process unless a shared cache is configured."""
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1
