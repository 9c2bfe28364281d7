"""Links of posts: the address a variant publishes (UTM parameters, tracked short link)."""

from .models import Variant


def outbound_link(variant: Variant) -> str:
    """The link the variant publishes."""
    return variant.post.link
