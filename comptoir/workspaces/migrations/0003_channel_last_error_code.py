"""A channel's last error is kept as its message id and values, and shown in the reader's language.

Errors stored before keep their text (it becomes its own code, shown as it is).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0002_removed_keeps_history"),
    ]

    operations = [
        migrations.RenameField(model_name="channel", old_name="last_error", new_name="last_error_code"),
        migrations.AddField(
            model_name="channel", name="last_error_params", field=models.JSONField(blank=True, default=dict)
        ),
    ]
