"""From a stored variant to what a connector publishes (``OutboundPost``), and the connector for its channel."""

from comptoir.connectors.base import BaseConnector, OutboundMedia, OutboundPost

from .links import outbound_link
from .models import Variant


class SizedBytes(bytes):
    """Empty bytes that say they are ``size`` long: what the checks need of a media file (its size), without
    reading or allocating it (a 500 MB video costs nothing to check)."""

    def __new__(cls, size: int):
        obj = super().__new__(cls)
        obj._size = max(int(size or 0), 0)
        return obj

    def __len__(self) -> int:
        return self._size


def variant_text(variant: Variant) -> str:
    """The variant's own text, else the post's master text."""
    return variant.text if variant.text.strip() else variant.post.master_text


def outbound_post(variant: Variant, *, with_media_data: bool = True) -> OutboundPost:
    """What goes out on the variant's channel. ``with_media_data=False`` leaves the bytes out (checks only
    need sizes and types: the data then only says its size, never read from disk nor allocated)."""
    media = []
    for asset in variant.media.order_by("variantmedia__position", "variantmedia__pk"):
        if with_media_data:
            with asset.file.open("rb") as handle:
                data = handle.read()
        else:
            data = SizedBytes(asset.size)
        media.append(OutboundMedia(filename=asset.filename, content_type=asset.content_type, data=data,
                                   alt_text=asset.alt_text))
    options = dict(variant.options or {})
    language = getattr(variant.channel, "language", "") if variant.channel_id else ""
    if language and "language" not in options:
        options["language"] = language
    return OutboundPost(
        text=variant_text(variant),
        title=variant.title or variant.post.title,
        media=tuple(media),
        link=outbound_link(variant, create=with_media_data),  # a check makes no short link
        content_warning=variant.content_warning,
        visibility=variant.visibility,
        options=options,
    )


def connector_for(variant: Variant) -> BaseConnector:
    """The connector of the variant's channel, with its configuration and decrypted credentials."""
    channel = variant.channel
    if channel is None:
        raise LookupError("variant without channel")
    return channel.connector()
