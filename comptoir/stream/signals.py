"""A connected channel gets its source as soon as it is saved (workspaces cannot import stream)."""


def channel_saved(sender, instance, created: bool, **kwargs) -> None:
    if created and not instance.config.get("demo"):
        from .actions import source_for_channel

        source_for_channel(instance)
