"""Files the fiscal journal relies on (key, anchors) must survive a power cut, name included.

The one implementation lives in ``till.files`` (with the private-file helpers); this name stays
for the fiscal modules that import it."""

from __future__ import annotations

from till.files import fsync_folder

__all__ = ["fsync_folder"]
