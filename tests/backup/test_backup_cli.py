"""``till backup`` and ``till restore`` from a shell: exit codes, words, no passphrase on the command line."""

from __future__ import annotations

import stat

from till.cli.main import main
from till.i18n import set_language
from tests.support.shop import sell


def test_backup_then_restore_from_the_command_line(shop, tmp_path, monkeypatch, capsys):
    sell(shop, [("BAG", 1)])
    monkeypatch.setenv("TILL_BACKUP_PASSPHRASE", "s3cret words")
    config = str(shop.config.path)
    assert main(["--config", config, "backup", "--out", str(tmp_path / "usb"), "--with-key",
                 "--passphrase-env", "TILL_BACKUP_PASSPHRASE"]) == 0
    out = capsys.readouterr().out
    assert "vérifiée" in out and "avec la clé privée" in out  # the shop's language (till.language = "fr")
    [made] = (tmp_path / "usb").glob("till-01-*.tar.gz")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    (tmp_path / "pass.txt").write_text("s3cret words\n")
    assert main(["restore", str(made), "--dir", str(tmp_path / "new"), "--passphrase-file",
                 str(tmp_path / "pass.txt"), "--no-headoffice"]) == 0
    out = capsys.readouterr().out
    assert "Sauvegarde de la caisse 01" in out and "journal verify" in out
    assert main(["--config", str(tmp_path / "new" / "till.toml"), "journal", "verify"]) == 0


def test_refusals_exit_with_one_line(shop, tmp_path, capsys):
    set_language("en")  # the shop's context set French; a restore with no shop speaks the current language
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b not really")
    assert main(["restore", str(tmp_path / "broken.tar.gz"), "--dir", str(tmp_path / "new"), "--no-headoffice"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("till: ") and err.count("\n") == 1 and "Traceback" not in err
    assert main(["restore", "--from-headoffice", "--dir", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err  # rebuilding needs the new folder's till.toml (with [sync]) and key
    assert err.startswith("till: ") and "till.toml" in err and "Traceback" not in err
    assert main(["--config", str(shop.config.path), "backup"]) == 2  # no backup.dir, no --out: configure it
    assert "backup" in capsys.readouterr().err


def test_a_backup_file_is_verified_alone(shop, tmp_path, capsys):
    from till.backup.make import make_backup

    made = make_backup(shop.config, shop.ctx.sealer, out=tmp_path).path
    set_language("en")
    assert main(["backup", "--verify", str(made)]) == 0
    assert "Backup verified" in capsys.readouterr().out
    (tmp_path / "cut.tar.gz").write_bytes(made.read_bytes()[: made.stat().st_size // 2])
    assert main(["backup", "--verify", str(tmp_path / "cut.tar.gz")]) == 1
    assert "NOT verified" in capsys.readouterr().out


def test_a_backup_that_cannot_be_written_exits_1_and_is_sealed(shop, tmp_path, capsys):
    import json

    from store.models import FiscalRecord
    from till.fiscal.backup_schedule import BACKUP_FAILED

    (tmp_path / "full").write_text("a file where the stick should be mounted")
    assert main(["--config", str(shop.config.path), "backup", "--out", str(tmp_path / "full")]) == 1
    assert capsys.readouterr().err.startswith("till: ")
    record = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == BACKUP_FAILED)).get()
    assert json.loads(record.payload)["details"]["where"] == "command"


def test_a_member_that_would_leave_the_scratch_folder_is_refused(tmp_path):
    import io
    import tarfile

    from till.backup.check import check_backup

    evil = tmp_path / "till-01-20261207T000000Z.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        for name in ("manifest.json", "../../escaped.txt"):
            info = tarfile.TarInfo(name)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"{}"))
    set_language("en")
    [problem] = check_backup(evil)
    assert "is not a till backup" in problem and "escaped.txt" in problem
    assert not (tmp_path.parent / "escaped.txt").exists() and not list(tmp_path.parent.parent.glob("escaped.txt"))
