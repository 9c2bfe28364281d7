"""A workspace's publishing objects, made through the app's own actions, for the project-wide sweeps.

``test_hostile_input`` and ``test_api_errors`` read every route from the URL configuration and the OpenAPI
document; the routes of the publishing app and the notifications pages take ids this module provides: a post with
a variant on a channel (and a short link, a comment), a content request with an attachment and a comment, a real
PNG in the media library, an approval stage, a campaign, a notable date, the calendar feed's secret token and a
notification for the reader.
"""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from comptoir.lib.i18n import gettext
from comptoir.publishing import approvals, ical, links, media, planning, posts, requests
from comptoir.workspaces.models import Channel, Membership
from comptoir.workspaces.notifications import notify


def png_bytes(size=(40, 30), color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def publishing_world(member: Membership, reader) -> dict:
    """Ids of one of each publishing object of ``member``'s workspace (``member`` manages publishing); the
    notification is ``reader``'s. Needs ``settings.MEDIA_ROOT`` pointed at a temporary directory."""
    workspace = member.workspace
    channel = Channel.objects.create(workspace=workspace, network="mastodon", handle=f"@{workspace.slug}@masto.example",
                                     label=f"Mastodon {workspace.slug}", config={"base_url": "https://masto.example"})
    campaign = planning.do_save_campaign(member, None, {"name": "Printemps", "color": "#2f6fdf",
                                                        "starts_on": dt.date(2027, 3, 1), "ends_on": dt.date(2027, 5, 31)})
    notable = planning.do_save_notable_date(member, None, {"day": dt.date(2027, 4, 12), "name": "Portes ouvertes"})
    content_request = requests.do_submit_request(
        member, {"title": "Journée portes ouvertes", "goal": "registrations", "audience": "community",
                 "audience_detail": "Parents du quartier", "key_message": "Venez le 12 avril.", "desired_at": "",
                 "deadline": "", "channels": [channel.pk], "links": "https://velo.example/portes-ouvertes"},
        [SimpleUploadedFile("affiche.png", png_bytes(), content_type="image/png")])
    requests.do_comment(member, content_request, "Merci, on s’en occupe.")
    asset, _created = media.do_upload(member, SimpleUploadedFile("photo.png", png_bytes(color="blue"),
                                                                 content_type="image/png"), alt_text="Un vélo bleu")
    post = posts.do_save_post(member, None, {
        "title": "Portes ouvertes", "master_text": "Portes ouvertes samedi à l’atelier !",
        "link": "https://velo.example/portes-ouvertes", "campaign": campaign.pk, "request": content_request.pk,
        "variants": [{"channel": channel.pk, "text": "Portes ouvertes samedi ! #velo"}]})
    posts.do_add_comment(member, post, "Relu, ça me va.")
    variant = post.variants.get()
    link = links.short_link_for(variant, links.tracked_target(variant))
    stage = approvals.do_create_stage(member, "Direction de la communication", [member.user_id])
    [note] = notify(workspace.pk, [reader], "request.new", gettext("New content request from %(name)s: %(title)s")
                    % {"name": member.user.display_name, "title": content_request.title},
                    url=f"/w/{workspace.slug}/publishing/requests/{content_request.pk}/", email=False)
    return {
        "post_id": post.pk, "variant_id": variant.pk, "request_id": content_request.pk,
        "file_id": content_request.attachments.get().pk, "asset_id": asset.pk, "stage_id": stage.pk,
        "campaign_id": campaign.pk, "date_id": notable.pk, "link_id": link.pk, "code": link.code, "note_id": note,
        "ical_token": ical.do_regenerate_token(member), "publishing_channel_id": channel.pk,
    }
