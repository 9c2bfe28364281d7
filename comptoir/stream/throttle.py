"""Politeness towards the sites we read: at most one request per host every few seconds, across all workers."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import HostThrottle


def host_of(config: dict) -> str:
    url = str((config or {}).get("url") or (config or {}).get("base_url") or "")
    return (urlsplit(url).hostname or "").lower()[:255]


def acquire(host: str, interval: float | None = None) -> timedelta:
    """Take the host's next slot. Returns how long to wait: zero when this worker may go now."""
    interval = settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS if interval is None else interval
    if not host or interval <= 0:
        return timedelta(0)
    now = timezone.now()
    for _attempt in range(5):
        row = HostThrottle.objects.filter(host=host).first()
        if row is None:
            try:
                with transaction.atomic():
                    HostThrottle.objects.create(host=host, next_allowed_at=now + timedelta(seconds=interval))
                return timedelta(0)
            except IntegrityError:
                continue  # another worker created it first: read it again
        if row.next_allowed_at > now:
            return row.next_allowed_at - now
        won = HostThrottle.objects.filter(pk=row.pk, next_allowed_at=row.next_allowed_at).update(
            next_allowed_at=now + timedelta(seconds=interval))
        if won:
            return timedelta(0)
    return timedelta(seconds=interval)
