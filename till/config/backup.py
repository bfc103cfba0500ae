"""``[backup]`` of till.toml, as frozen data: where ``till backup`` writes and what it keeps.

Kept apart from ``till.backup`` (which needs the store and the journal) so that
``till.config.loader`` may hold it without slowing every command's start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackupSettings:
    """Where the shop's backups go and how many are kept (``till.backup.rotation``)."""

    dir: str = ""
    """The folder (a USB stick, a network share) the backups are written to; empty: none made.
    Relative to till.toml's folder, like every path of the file."""
    keep_hourly_h: int = 24
    """Keep the last copy of each hour for this many hours."""
    keep_daily_d: int = 31
    """Then the last copy of each day for this many days."""
    keep_monthly_m: int = 12
    """Then the last copy of each month for this many months."""

    @property
    def configured(self) -> bool:
        """Whether backups are made by themselves (after each daily closure, from the timer)."""
        return bool(self.dir.strip())
