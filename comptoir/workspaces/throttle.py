"""Growing delays after failed authentication: log-ins, API tokens, password-reset requests.

Each (scope, key) pair — an account's e-mail address or a client address — counts its failures.
Past the scope's free attempts, the next attempt waits 2, 4, 8… seconds, up to
``COMPTOIR_THROTTLE_MAX_DELAY_SECONDS``; an attempt made while waiting is refused without being
looked at, and is not counted. A success clears the counters; a counter quiet for a day starts
again from zero. The counters live in the database so that every web worker sees them.
"""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.lib.clientaddr import client_address as _client_address

from .models import AuthThrottle

Scope = AuthThrottle.Scope
Keys = list[tuple[str, str]]
FORGET_AFTER = timedelta(days=1)
RESET_FREE_PER_ACCOUNT = 3
logger = logging.getLogger("comptoir.security")


def client_address(request) -> str:
    """The client's address, through the reverse proxy when ``COMPTOIR_BEHIND_PROXY`` is on."""
    if request is None:
        return ""
    return _client_address(request.META, behind_proxy=settings.COMPTOIR_BEHIND_PROXY,
                           trusted_proxies=settings.COMPTOIR_TRUSTED_PROXIES)


def login_keys(email: str, address: str) -> Keys:
    """The counters a log-in attempt goes through: the account (existing or not) and the client address."""
    keys = [(Scope.LOGIN_ACCOUNT, email.strip().lower())]
    return keys + [(Scope.LOGIN_ADDRESS, address)] if address else keys


def free_attempts(scope: str) -> int:
    if scope == Scope.LOGIN_ACCOUNT:
        return settings.COMPTOIR_LOGIN_FREE_ATTEMPTS
    if scope == Scope.RESET_ACCOUNT:
        return RESET_FREE_PER_ACCOUNT
    return settings.COMPTOIR_ADDRESS_FREE_ATTEMPTS


def delay_after(failures: int, free: int) -> int:
    """Seconds the next attempt waits after ``failures`` failures: none, then 2, 4, 8… up to the cap."""
    if failures < free:
        return 0
    return min(2 ** min(failures - free + 1, 32), settings.COMPTOIR_THROTTLE_MAX_DELAY_SECONDS)


def _matching(keys: Keys) -> Q:
    query = Q(pk__in=[])
    for scope, key in keys:
        query |= Q(scope=scope, key=key)
    return query


def _remaining(row: AuthThrottle, now) -> int:
    if row.locked_until is None or row.locked_until <= now:
        return 0
    return math.ceil((row.locked_until - now).total_seconds())


def rows(keys: Keys) -> list[AuthThrottle]:
    """The counters of these keys that have failures (one query, no write)."""
    return list(AuthThrottle.objects.filter(_matching(keys)))


def remaining(found: list[AuthThrottle]) -> int:
    """Seconds before the next attempt is allowed, given the keys' counters (0: now)."""
    now = timezone.now()
    return max((_remaining(row, now) for row in found), default=0)


def wait_for(keys: Keys) -> int:
    """Seconds before the next attempt on any of these keys is allowed (0: now)."""
    return remaining(rows(keys))


def locked(keys: Keys) -> list[AuthThrottle]:
    """The rows of these keys that are waiting now."""
    return list(AuthThrottle.objects.filter(_matching(keys), locked_until__gt=timezone.now()))


@transaction.atomic
def count_failure(keys: Keys) -> int:
    """Count one failure on each key; returns the longest wait it imposes on the next attempt (0: none)."""
    now = timezone.now()
    AuthThrottle.objects.filter(last_failure_at__lt=now - FORGET_AFTER).delete()
    longest = 0
    for scope, key in keys:
        row, _created = AuthThrottle.objects.select_for_update().get_or_create(scope=scope, key=key[:254])
        row.failures += 1
        row.last_failure_at = now
        delay = delay_after(row.failures, free_attempts(scope))
        row.locked_until = now + timedelta(seconds=delay) if delay else None
        row.save()
        longest = max(longest, delay)
    return longest


def reserve(keys: Keys) -> int:
    """Take one attempt: the wait in seconds if any key is waiting (nothing counted), else 0.

    The attempt is counted as a failure before the secret is checked, so that attempts sent in
    parallel cannot all slip in before the first failure is written; ``clear`` undoes it on success.
    The rows exist before they are locked, so that even the very first attempts queue up.
    """
    for scope, key in keys:
        AuthThrottle.objects.get_or_create(scope=scope, key=key[:254])
    with transaction.atomic():
        now = timezone.now()
        rows = AuthThrottle.objects.select_for_update().filter(_matching(keys)).order_by("scope", "key")
        wait = max((_remaining(row, now) for row in rows), default=0)
        if wait:
            return wait
        count_failure(keys)
    return 0


def clear(keys: Keys) -> None:
    """Forget the failures of these keys (after a success)."""
    AuthThrottle.objects.filter(_matching(keys)).delete()


def wait_text(seconds: int) -> str:
    """“12 seconds”, “3 minutes”: how long to wait, in words."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def login_wait_message(seconds: int) -> str:
    return _("Too many failed attempts. For your security, try again in %(wait)s.") % {"wait": wait_text(seconds)}
