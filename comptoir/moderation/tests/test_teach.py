"""Teach Comptoir: the least sure messages and the moderators' overrides, labelled in one key, become training data."""

import csv
import io

from django.core.management import call_command

from comptoir.conftest import membership_of
from comptoir.inbox.tests.conftest import bring, message
from comptoir.moderation import queue, teach
from comptoir.moderation.models import Rule
from comptoir.stream.models import Item, LabelCorrection
from comptoir.understanding import datasets
from comptoir.understanding.train.data import load_training


def _items(channel):
    ids = bring(channel, message("sure", "Merci pour l'atelier !", minutes=1),
                message("unsure", "T'es vraiment lourd avec tes vélos", minutes=2),
                message("spammy", "Promo vélos http://x.example", minutes=3))
    items = {i.external_id: i for i in Item.objects.filter(pk__in=ids)}
    Item.objects.filter(pk=items["sure"].pk).update(scores={"toxicity": 0.02, "spam": 0.01}, toxicity="clean", spam="ham")
    Item.objects.filter(pk=items["unsure"].pk).update(scores={"toxicity": 0.52, "spam": 0.05}, toxicity="toxic", spam="ham")
    Item.objects.filter(pk=items["spammy"].pk).update(scores={"toxicity": 0.1, "spam": 0.61}, toxicity="clean", spam="spam")
    return {k: Item.objects.get(pk=v.pk) for k, v in items.items()}


def test_the_queue_asks_the_least_sure_first_and_the_overrides(workspace, channel, moderator):
    items = _items(channel)
    asked = teach.queue(workspace)
    assert [(c.item.external_id, c.task, c.why) for c in asked] == [("unsure", "toxicity", "unsure"),
                                                                    ("spammy", "spam", "unsure")]
    rule = Rule.objects.create(workspace=workspace, name="Spam", kind="model")
    case = queue.open_case(items["spammy"], rule=rule, reason={"scores": {"spam": 0.61}})
    queue.do_decide(membership_of(moderator, workspace), case, "approve")  # approved while spam: an override
    asked = teach.queue(workspace)
    assert (asked[0].item.external_id, asked[0].why) == ("spammy", "override")


def test_one_key_labels_a_message_and_it_leaves_the_queue(workspace, channel, moderator, as_user):
    items = _items(channel)
    client = as_user(moderator)
    page = client.get("/w/velo/moderation/teach/").content.decode()
    assert 'data-teach-key="t"' in page and "vraiment lourd" in page and 'data-testid="model-version"' in page
    response = client.post("/w/velo/moderation/teach/label/", {"item": items["unsure"].pk, "key": "c"})
    assert response.status_code == 302
    correction = LabelCorrection.objects.get(item=items["unsure"])
    assert (correction.task, correction.old_label, correction.new_label) == ("toxicity", "toxic", "clean")
    # Agreeing with an unsure model is worth learning too: a confirmation.
    client.post("/w/velo/moderation/teach/label/", {"item": items["spammy"].pk, "key": "s"})
    confirmed = LabelCorrection.objects.get(item=items["spammy"])
    assert (confirmed.task, confirmed.old_label, confirmed.new_label) == ("spam", "spam", "spam")
    assert teach.queue(workspace) == []
    assert "Nothing to teach right now" in client.get("/w/velo/moderation/teach/").content.decode()


def test_skipping_keeps_the_message_for_later(workspace, channel, moderator, as_user):
    items = _items(channel)
    client = as_user(moderator)
    client.post("/w/velo/moderation/teach/label/", {"item": items["unsure"].pk, "key": "skip"})
    assert "vraiment lourd" not in client.get("/w/velo/moderation/teach/").content.decode()
    client.post("/w/velo/moderation/teach/skipped/")
    assert "vraiment lourd" in client.get("/w/velo/moderation/teach/").content.decode()
    assert not LabelCorrection.objects.exists()


def test_hostile_teaching_is_refused(workspace, other_workspace, channel, other_channel, moderator, analyst, as_user):
    items = _items(channel)
    theirs = Item.objects.get(pk=bring(other_channel, message("x", "Bonjour"))[0])
    client = as_user(moderator)
    for bad in ("x", "", "<script>", "tt"):
        response = client.post("/w/velo/moderation/teach/label/", {"item": items["unsure"].pk, "key": bad}, follow=True)
        assert response.status_code == 200 and "alert-danger" in response.content.decode()
    assert client.post("/w/velo/moderation/teach/label/", {"item": theirs.pk, "key": "t"}).status_code == 404
    assert client.post("/w/velo/moderation/teach/label/", {"item": "1e9<", "key": "t"}).status_code == 404
    assert as_user(analyst).post("/w/velo/moderation/teach/label/", {"item": items["unsure"].pk, "key": "t"}).status_code == 403
    assert not LabelCorrection.objects.exists()


def test_a_retrain_reads_what_was_taught(workspace, channel, moderator, tmp_path):
    items = _items(channel)
    member = membership_of(moderator, workspace)
    teach.do_teach(member, items["unsure"], "c")
    teach.do_teach(member, items["sure"], "t")
    # `comptoir export corrections` into the data folder `comptoir train` reads ...
    data = tmp_path / "data"
    data.mkdir()
    for folder in datasets.DATA_DIR.iterdir():
        if folder.is_dir():
            (data / folder.name).symlink_to(folder)
    (data / datasets.CORRECTIONS).mkdir()
    call_command("export", "corrections", "--out", str(data / datasets.CORRECTIONS / "velo.csv"), stderr=io.StringIO())
    rows = list(csv.DictReader((data / datasets.CORRECTIONS / "velo.csv").open()))
    assert {(r["task"], r["label"]) for r in rows} == {("toxicity", "clean"), ("toxicity", "toxic")}
    # ... and the training rows of the toxicity head hold them, from "corrections".
    tasks, seen = load_training(data, None, subset=20)
    taught = {(text, label) for text, label, source in zip(tasks["toxicity"].texts, tasks["toxicity"].labels,
                                                            tasks["toxicity"].sources, strict=True)
              if source == datasets.CORRECTIONS}
    assert taught == {(items["unsure"].text, "clean"), (items["sure"].text, "toxic")}
    assert seen[f"{datasets.CORRECTIONS}/toxicity"] == 2
