"""Inbound webhooks: a signed JSON POST brings items into a webhook channel."""


from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from comptoir.connectors.base import ConnectorError
from comptoir.workspaces.models import Channel

from .actions import source_for_channel
from .ingest import store_fetched


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


@csrf_exempt
@require_POST
def receive(request, channel_id: int):
    # Senders are machines: they get English, whatever the workspace speaks.
    with translation.override("en"):
        channel = Channel.objects.filter(pk=channel_id, network="webhook").first()
        if channel is None or channel.status not in (Channel.Status.ACTIVE, Channel.Status.ERROR):
            return _error(404, "No active webhook channel at this address.")
        connector = channel.connector()
        length = int(request.headers.get("Content-Length") or 0)
        if length > connector.max_body_bytes:
            return _error(413, f"The payload is larger than {connector.max_body_bytes} bytes.")
        body = request.body
        if not connector.verify_request(body, request.headers):
            return _error(401, "Bad or missing signature: sign the body with the channel's secret (X-Comptoir-Signature).")
        from comptoir.connectors.webhook.client import parse_payload

        try:
            items = parse_payload(body)
        except ConnectorError as exc:
            return _error(400, exc.message)
        result = store_fetched(source_for_channel(channel), items)
        return JsonResponse({"accepted": result.created, "duplicates": result.duplicates}, status=202)


