"""Moderation API: the charter — the version in force, every published version and its articles (read only).
Route under /api/v1/workspaces/{slug}/moderation/charter; the pages write the charter."""

from datetime import datetime

from ninja import Field, Path, Router, Schema

from comptoir.errors import api_responses
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_token_membership

from .. import charter

router = Router(tags=["moderation"])

Slug = Path[str, {"max_length": 60}]


class ArticleOut(Schema):
    number: int
    title_fr: str
    title_en: str
    url: str = Field(description="Its anchor on the public page; empty when the charter is not public")


class VersionOut(Schema):
    number: int
    published_at: datetime
    changes: str = Field(description="What changed since the previous version")
    acceptances: int
    articles: list[ArticleOut]
    body_fr: str = Field(description="Markdown")
    body_en: str = Field(description="Markdown; empty: the French text is shown")


class CharterOut(Schema):
    public: bool = Field(description="Whether the charter is published at /charte/{slug}/")
    ask_acceptance: bool
    public_url: str = Field(description="Empty when not public or nothing is published")
    current: VersionOut | None = Field(description="The version in force; null when nothing is published")
    versions: list[VersionOut] = Field(description="Every published version, newest first")
    draft_number: int | None = Field(description="The number of the version being written, if any")


def _version_out(request, version, counts, public) -> dict:
    from comptoir.lib.urls import public_url

    return {
        "number": version.number, "published_at": version.published_at, "changes": version.changes,
        "acceptances": counts.get(version.pk, 0), "body_fr": version.body_fr, "body_en": version.body_en,
        "articles": [{"number": a["number"], "title_fr": a.get("title_fr", ""), "title_en": a.get("title_en", ""),
                      "url": public_url(request, charter.public_path(version, a["number"])) if public else ""}
                     for a in version.articles or []],
    }


@router.get("/{slug}/moderation/charter", response=api_responses({200: CharterOut}),
            summary="The charter: the version in force, every published version and their articles")
def get_charter(request, slug: Slug):
    from comptoir.lib.urls import public_url

    from ..models import ModerationSettings

    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    workspace = membership.workspace
    settings = ModerationSettings.of(workspace.pk)
    counts = charter.acceptance_counts(workspace)
    versions = [_version_out(request, v, counts, settings.charter_public)
                for v in charter.published(workspace).select_related("workspace")[:100]]
    found = charter.draft(workspace)
    return {
        "public": settings.charter_public, "ask_acceptance": settings.ask_acceptance,
        "public_url": public_url(request, f"/charte/{workspace.slug}/") if settings.charter_public and versions else "",
        "current": versions[0] if versions else None, "versions": versions,
        "draft_number": found.number if found else None,
    }
