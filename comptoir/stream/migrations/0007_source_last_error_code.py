"""A source's last error is kept as its message id and values, and shown in the reader's language.

Errors stored before keep their text (it becomes its own code, shown as it is), except the
Python exceptions the catch-all of ``poll_source`` used to store ("UnicodeEncodeError: …" on the
source, the bare exception text on its channel): those become the sentence it stores now.
"""

import re

from django.db import migrations, models

# The message id of stream.tasks.UNEXPECTED_FAILURE, frozen here as migrations must be.
UNEXPECTED_FAILURE = (
    "Comptoir could not read this source because of an unexpected problem on its side, not on the "
    "network's. The details are in the server log for your administrator; Comptoir will try again at "
    "the next read."
)
_EXCEPTION = re.compile(r"^[A-Z][A-Za-z0-9_.]*: ")


def replace_python_exceptions(apps, schema_editor):
    Source = apps.get_model("stream", "Source")
    Channel = apps.get_model("workspaces", "Channel")
    for source in Source.objects.exclude(last_error_code="").iterator():
        match = _EXCEPTION.match(source.last_error_code)
        if not match:
            continue
        detail = source.last_error_code[match.end():]
        Source.objects.filter(pk=source.pk).update(last_error_code=UNEXPECTED_FAILURE, last_error_params={})
        if source.channel_id:
            channel = Channel.objects.filter(pk=source.channel_id).exclude(last_error_code="").first()
            # The channel got the same exception without its class name (both were cut at 500 characters).
            if channel is not None and detail[:400] == channel.last_error_code[:400]:
                Channel.objects.filter(pk=channel.pk).update(last_error_code=UNEXPECTED_FAILURE, last_error_params={})


class Migration(migrations.Migration):
    dependencies = [
        ("stream", "0006_review_tags_views"),
        ("workspaces", "0003_channel_last_error_code"),
    ]

    operations = [
        migrations.RenameField(model_name="source", old_name="last_error", new_name="last_error_code"),
        migrations.AddField(
            model_name="source", name="last_error_params", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.RunPython(replace_python_exceptions, migrations.RunPython.noop),
    ]
