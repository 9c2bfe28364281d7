"""Mentions: the Fil's list (``stream.screen``) scoped to the messages the topics matched, with a topic and a reach
filter, the topics' colour dots on each row, the matched topics in the detail pane, "save to share" (curation)
in bulk, and the topics and reach in the export."""

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Exists, Max, OuterRef, Q
from django.utils.translation import gettext_lazy, ngettext

from comptoir.inbox import sendto
from comptoir.stream.screen import BulkAction, ListScreen
from comptoir.workspaces import roles

from .. import curation
from ..forms import MentionFilterForm
from ..models import Curation, Mention, Topic


def scope(membership, filters: dict) -> Q:
    """The messages a topic matched: the chosen one, or any topic of the workspace that is not archived."""
    topics = Topic.objects.filter(workspace=membership.workspace)
    topics = topics.filter(pk=filters["topic"]) if filters.get("topic") else topics.filter(archived_at__isnull=True)
    mentions = Mention.objects.filter(item=OuterRef("pk"), topic__in=topics.values("pk"))
    if filters.get("reach"):
        mentions = mentions.filter(reach__gte=filters["reach"])
    return Q(Exists(mentions))


def _topics(membership) -> list[Topic]:
    return list(Topic.objects.filter(workspace=membership.workspace).order_by("archived_at", "kind", "name"))


def chip_names(membership, form) -> dict:
    names = {("topic", str(t.pk)): t.name for t in _topics(membership)}
    reach = form.data.get("reach")
    if reach and reach.isdigit() and len(reach) < 14:
        names[("reach", reach)] = "≥ " + intcomma(int(reach))
    return names


def decorate(membership, items) -> None:
    """Each message gets the topics it is a mention of (``mention_topics``) and its reach (``mention_reach``)."""
    ids = [i.pk for i in items]
    found: dict[int, list] = {}
    reach: dict[int, int] = {}
    for mention in (Mention.objects.filter(item_id__in=ids, workspace=membership.workspace)
                    .select_related("topic").order_by("topic__kind", "topic__name")):
        found.setdefault(mention.item_id, []).append(mention.topic)
        reach[mention.item_id] = max(reach.get(mention.item_id, 0), mention.reach)
    for item in items:
        item.mention_topics = found.get(item.pk, [])
        item.mention_reach = reach.get(item.pk, 0)


def page_context(membership, form) -> dict:
    topics = _topics(membership)
    chosen = next((t for t in topics if str(t.pk) == form.data.get("topic")), None)
    return {"topics": topics, "has_topics": bool(topics), "chosen_topic": chosen,
            "can_manage_listening": roles.has_perm(membership.role, roles.MANAGE_LISTENING)}


def detail_context(membership, item) -> dict:
    return {"curated": Curation.objects.filter(workspace=membership.workspace, item=item).exists(),
            "can_manage_listening": roles.has_perm(membership.role, roles.MANAGE_LISTENING)}


def _curate(membership, item_ids) -> str:
    n = curation.do_curate(membership, item_ids)
    if not n:
        return str(gettext_lazy("These messages were already saved to share."))
    return ngettext("%(count)s message saved to share.", "%(count)s messages saved to share.", n) % {"count": n}


def export_values(item_ids: list[int]) -> dict[int, list]:
    names: dict[int, list[str]] = {}
    for item_id, name in (Mention.objects.filter(item_id__in=item_ids).order_by("topic__name")
                          .values_list("item_id", "topic__name")):
        names.setdefault(item_id, []).append(name)
    reach = dict(Mention.objects.filter(item_id__in=item_ids).values("item_id").annotate(r=Max("reach"))
                 .values_list("item_id", "r"))
    return {i: [", ".join(names.get(i, [])), reach.get(i, 0)] for i in item_ids}


MENTIONS = ListScreen(
    key="mentions", title=gettext_lazy("Mentions"), url_name="listening_mentions",
    count_url_name="listening_mentions_count", bulk_url_name="listening_mentions_bulk",
    view_save_url_name="listening_mentions_view_save", view_delete_url_name="listening_mentions_view_delete",
    item_url_name="listening_mention",
    form_class=MentionFilterForm,
    builtin_views=[
        (gettext_lazy("Everything"), ""),
        (gettext_lazy("To review"), "reviewed=no"),
        (gettext_lazy("Negative"), "sentiment=negative"),
        (gettext_lazy("Questions"), "intent=question"),
        (gettext_lazy("Big reach"), "reach=1000"),
    ],
    scope=scope, chip_names=chip_names, decorate=decorate, page_context=page_context, detail_context=detail_context,
    head_template="listening/_mentions_head.html", filters_template="listening/_mentions_filters.html",
    more_filters_template="listening/_mentions_more_filters.html", row_template="listening/_mention_row.html",
    bulk_template="listening/_mentions_bulk.html", detail_template="listening/_mention_detail.html",
    empty_template="listening/_mentions_empty.html",
    bulk_actions={"curate": BulkAction(perm=roles.MANAGE_LISTENING, run=_curate),
                  "send_to_inbox": BulkAction(perm=roles.ANSWER_INBOX, run=sendto.bulk_send)},
    export_name="mentions", export_header=["listening_topics", "reach"], export_values=export_values,
)

urlpatterns = MENTIONS.urlpatterns("w/<slug:slug>/listening/")
