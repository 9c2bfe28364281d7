"""Stored errors survive the move to message codes: texts are kept, Python exceptions become a sentence."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

BEFORE = [("stream", "0006_review_tags_views"), ("workspaces", "0002_removed_keeps_history")]
AFTER = [("stream", "0007_source_last_error_code"), ("workspaces", "0003_channel_last_error_code")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_errors_keep_their_text_and_exceptions_become_a_sentence():
    old = _migrate(BEFORE)
    Workspace, Channel, Source = (old.get_model(*m) for m in (("workspaces", "Workspace"), ("workspaces", "Channel"),
                                                               ("stream", "Source")))
    workspace = Workspace.objects.create(name="Vélo", slug="velo-migration")
    channel = Channel.objects.create(workspace=workspace, network="mastodon", handle="@a@b.c",
                                     last_error="'NoneType' object is not subscriptable")
    crashed = Source.objects.create(workspace=workspace, channel=channel, network="mastodon", label="a",
                                    last_error="TypeError: 'NoneType' object is not subscriptable")
    failing = Source.objects.create(workspace=workspace, network="rss", label="b",
                                    last_error="Le site a répondu par l'erreur 503.")
    try:
        new = _migrate(AFTER)
        Channel, Source = new.get_model("workspaces", "Channel"), new.get_model("stream", "Source")
        from comptoir.stream.models import Source as CurrentSource
        from comptoir.workspaces.models import Channel as CurrentChannel

        assert Source.objects.get(pk=failing.pk).last_error_code == "Le site a répondu par l'erreur 503."
        with translation.override("fr"):
            for obj in (CurrentSource.objects.get(pk=crashed.pk), CurrentChannel.objects.get(pk=channel.pk)):
                assert obj.last_error.startswith("Comptoir n'a pas pu lire cette source"), obj.last_error
                assert obj.last_error_params == {}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app back to its latest
