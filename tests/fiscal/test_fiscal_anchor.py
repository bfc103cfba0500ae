"""The tail anchor files: written atomically, read back, refused when unreadable."""

from __future__ import annotations

import os
import stat

import pytest

from till.errors import TillError
from till.fiscal.anchor import Anchor, AnchorStore


def test_write_then_read_and_replace(tmp_path):
    store = AnchorStore(tmp_path / "anchors")
    assert store.read("01", "T") is None
    store.write("01", "T", 1, "sig1", "a" * 64)
    store.write("01", "T", 2, "sig2", "b" * 64)
    store.write("01", "L", 7, "sigL", "c" * 64)
    assert store.read("01", "T") == Anchor("01", "T", 2, "sig2", "b" * 64)
    assert store.read("01", "L") == Anchor("01", "L", 7, "sigL", "c" * 64)
    assert sorted((a.chain, a.sequence) for a in store.all()) == [("L", 7), ("T", 2)]


def test_folder_is_private_and_no_temporary_file_is_left(tmp_path):
    store = AnchorStore(tmp_path / "anchors")
    for sequence in range(1, 6):
        store.write("01", "T", sequence, f"s{sequence}", "0" * 64)
    assert stat.S_IMODE(os.stat(tmp_path / "anchors").st_mode) == 0o700
    assert sorted(os.listdir(tmp_path / "anchors")) == ["anchor-01-T.json"]


def test_a_failed_write_keeps_the_previous_anchor(tmp_path, monkeypatch):
    store = AnchorStore(tmp_path)
    store.write("01", "T", 1, "s1", "h1")

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.write("01", "T", 2, "s2", "h2")
    monkeypatch.undo()
    assert store.read("01", "T").sequence == 1
    assert [p.name for p in tmp_path.iterdir()] == ["anchor-01-T.json"]


def test_a_damaged_anchor_is_an_error_not_a_missing_anchor(tmp_path):
    store = AnchorStore(tmp_path)
    store.write("01", "T", 1, "s1", "h1")
    store.path("01", "T").write_text("{not json")
    with pytest.raises(TillError, match="cannot be read"):
        store.read("01", "T")


@pytest.mark.parametrize("till_id, chain", [("../x", "T"), ("01", "T/../../x"), ("", "T"), ("01", "T-1")])
def test_unsafe_names_are_refused(tmp_path, till_id, chain):
    with pytest.raises(ValueError):
        AnchorStore(tmp_path).write(till_id, chain, 1, "s", "h")
