"""Addresses of Comptoir's own pages, as people and tools outside must use them."""

from django.conf import settings


def public_url(request, path: str) -> str:
    """The absolute address of ``path``: under ``COMPTOIR_BASE_URL`` when it is set (behind a proxy,
    the only address the outside knows), else under the address this request came to."""
    if getattr(settings, "BASE_URL_IS_SET", False):
        return f"{settings.BASE_URL}{path}"
    return request.build_absolute_uri(path)
