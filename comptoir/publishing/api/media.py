"""REST API: the media library (routes gathered by ``publishing/api/__init__.py``).

Uploads are multipart (``file``, ``alt_text``, ``title``) and go through the same checks as the page.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from comptoir.errors import api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership
from comptoir.workspaces.models import Membership

from .. import media as actions
from ..models import MediaAsset

router = Router(tags=["publishing"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]


class MediaOut(Schema):
    id: int
    kind: str
    filename: str
    title: str
    alt_text: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    sha256: str
    created_at: datetime
    archived_at: datetime | None
    file_url: str = Field(description="Where the file is read, with the same token.")
    created: bool | None = Field(None, description="On upload: false when the same file was already in the library.")

    @staticmethod
    def resolve_file_url(obj, context) -> str:
        return reverse("api:publishing_media_file", args=[obj.workspace.slug, obj.pk])


class MediaPatch(Schema):
    alt_text: str | None = Field(None, max_length=5000)
    title: str | None = Field(None, max_length=1000)
    archived: bool | None = None


class MediaFilters(Schema):
    q: str = Field("", max_length=200)
    kind: str = Field("", max_length=10)
    missing_alt: bool = False
    archived: bool = False
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


def _membership(request, slug: str, perm: str) -> Membership:
    return get_token_membership(request, slug, perm)


def _asset(membership, asset_id) -> MediaAsset:
    return get_object_or_404(MediaAsset.objects.select_related("workspace"), pk=asset_id, workspace=membership.workspace)


@router.get("/{slug}/media", response=api_responses({200: list[MediaOut]}), summary="Media library")
def list_media(request, slug: Slug, filters: Query[MediaFilters]):
    membership = _membership(request, slug, roles.VIEW_PUBLISHING)
    assets = actions.library(membership.workspace, q=filters.q, kind=filters.kind, missing_alt=filters.missing_alt,
                             archived=filters.archived).select_related("workspace")
    return list(assets[filters.offset:filters.offset + filters.limit])


@router.post("/{slug}/media", response=api_responses({201: MediaOut, 200: MediaOut}, body=True),
             summary="Upload an image or a video file")
def upload_media(request, slug: Slug, file: File[UploadedFile] = None, alt_text: Form[str] = "", title: Form[str] = ""):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    if file is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    with audit.via("api"):
        asset, created = actions.do_upload(membership, file, alt_text=alt_text, title=title)
    asset.created = created
    return Status(201 if created else 200, asset)


@router.get("/{slug}/media/{asset_id}", response=api_responses({200: MediaOut}), summary="One media file's details")
def get_media(request, slug: Slug, asset_id: RowId):
    return _asset(_membership(request, slug, roles.VIEW_PUBLISHING), asset_id)


@router.get("/{slug}/media/{asset_id}/file", response=api_responses({200: None}), url_name="publishing_media_file",
            summary="The file itself")
def media_file(request, slug: Slug, asset_id: RowId):
    asset = _asset(_membership(request, slug, roles.VIEW_PUBLISHING), asset_id)
    try:
        handle = asset.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=asset.content_type, filename=asset.filename)
    response["Cache-Control"] = "private, no-store"
    return response


@router.patch("/{slug}/media/{asset_id}", response=api_responses({200: MediaOut}, body=True),
              summary="Change the alt text or title, archive or bring back")
def patch_media(request, slug: Slug, asset_id: RowId, payload: MediaPatch):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    asset = _asset(membership, asset_id)
    with audit.via("api"):
        if payload.alt_text is not None or payload.title is not None:
            actions.do_edit(membership, asset, alt_text=payload.alt_text, title=payload.title)
        if payload.archived is not None:
            actions.do_archive(membership, asset, payload.archived)
    return asset


@router.delete("/{slug}/media/{asset_id}", response=api_responses({204: None}),
               summary="Delete a media file no post uses (archive the others)")
def delete_media(request, slug: Slug, asset_id: RowId):
    membership = _membership(request, slug, roles.MANAGE_PUBLISHING)
    asset = _asset(membership, asset_id)
    with audit.via("api"):
        actions.do_delete(membership, asset)
    return Status(204, None)
