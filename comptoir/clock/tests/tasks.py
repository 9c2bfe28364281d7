"""Tasks used only by the clock tests (importable by a worker process)."""

import time
from pathlib import Path

from django.tasks import task


@task()
def write_marker(path: str, seconds: float = 0.0) -> str:
    """Append 'start' to ``path``, sleep, append 'done'. Lets a test see a task begin and end."""
    marker = Path(path)
    with marker.open("a") as f:
        f.write("start\n")
    time.sleep(seconds)
    with marker.open("a") as f:
        f.write("done\n")
    return "ok"
