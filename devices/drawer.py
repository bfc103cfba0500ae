"""Cash drawers. For now: a logging drawer for the demo (the real kick through the printer and
serial drawers come with the devices work, behind the same ``open``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


class LoggingDrawer:
    """Records each opening in a text file instead of kicking a solenoid."""

    name = "log"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def open(self, reason: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"{dt.datetime.now().isoformat(timespec='seconds')} drawer opened: {reason}\n")
