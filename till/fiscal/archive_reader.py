"""Reading a fiscal archive (a ZIP made by ``till.fiscal.archive``) safely, whatever it holds.

An archive comes from anywhere (an auditor's USB stick, a forger): the reader never loads a big
member whole (``read_small`` refuses one above ``MAX_SMALL_FILE``; chain files are streamed by
the verifier), and takes a record's payload text exactly as signed (``payload_text``).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from till.errors import TillError
from till.fiscal.canonical import canonical_json
from till.i18n import N_

__all__ = ["MAX_SMALL_FILE", "ArchiveUnreadable", "OpenArchive", "payload_text"]

MAX_SMALL_FILE = 64 * 1024 * 1024
"""Manifest, signature, keys and schemas are read whole; anything bigger is refused, not loaded."""


class ArchiveUnreadable(TillError):
    """The file is missing or is not a ZIP archive at all: nothing in it can be checked."""


class OpenArchive:
    """The open ZIP, its member names, and reads that never load a big member whole."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ArchiveUnreadable(N_("Archive file {file} does not exist"), file=str(path))
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise ArchiveUnreadable(N_("Archive file {file} cannot be read: it is truncated or not a ZIP archive"),
                                    file=str(path)) from None
        self.names = [info.filename for info in self.zip.infolist()]

    def read_small(self, name: str) -> bytes:
        info = self.zip.getinfo(name)
        if info.file_size > MAX_SMALL_FILE:
            raise ValueError(f"{name} is too big ({info.file_size} bytes)")
        return self.zip.read(name)


def payload_text(raw: bytes, payload: Any) -> str:
    """The payload's text as the line carries it, when that is the payload the line parses to.

    The exporter embeds the stored, signed text verbatim, so slicing it out of the line (between
    the top-level ``"payload":`` and ``,"previous_signature":``, the next key in sorted order)
    gives the signed bytes without re-encoding them, three times cheaper. It is used only if it
    parses to the very value the whole line gave (a forged line with two ``payload`` keys does
    not pass); otherwise the payload's canonical form is rebuilt, and any difference from what
    was signed shows in the hash.
    """
    start = raw.find(b',"payload":')
    end = raw.rfind(b',"previous_signature":')
    if 0 <= start < end:
        text = raw[start + 11:end]
        try:
            if json.loads(text) == payload and type(payload) is dict:
                return text.decode("utf-8")
        except ValueError:
            pass
    return canonical_json(payload)
