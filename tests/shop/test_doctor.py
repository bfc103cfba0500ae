"""``till doctor`` on the demo shop (all OK or WARN, exit 0) and on shops broken the ways a
technician meets them: a missing or loose key, a device that is not there or not allowed, a
card payment nobody settled, a job the outbox gave up on, a clock behind the journal, head
office away. Real files, a real SQLite shop, the real command; devices and head office are
their simulators and a real loopback server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import grp
import os
import re
import shutil
import tempfile
from collections import namedtuple
from pathlib import Path

import pytest

from headoffice.cli import enroll
from devices.simulators.concert_sim import ConcertSimulator
from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator
from devices.simulators.serial_drawer_sim import Rfc2217DrawerSimulator
from store.models import OutboxJob
from store.models.base import database_proxy, utcnow
from till.aftersale import outbox
from till.cli.main import main
from till.config.loader import load
from till.demo.build import build_demo
from till.fiscal.events import INTEGRITY_CHECK, record_event
from till.fiscal.keys import Signer
from till.i18n import _catalogue
from till.selling.ticket_writer import write_ticket
from till.shop import doctor
from till.shop.doctor import activity, database, devices, files, headoffice, journal
from till.shop.running import running_till
from tests.support.clock import sealing_at
from tests.support.headoffice import HeadOffice
from tests.support.net import free_port, self_signed
from tests.support.processes import till
from tests.support.returns import unanswered_card_refund
from tests.support.shop import paid_draft, sell


def set_keys(path: Path, section: str, /, **values: object) -> Path:
    """``path``'s till.toml with ``values`` set in ``[section]`` (added when absent)."""
    text = path.read_text(encoding="utf-8")
    header = re.search(rf"(?m)^\[{re.escape(section)}\][^\n]*\n", text)
    if header is None:
        text += f"\n[{section}]\n"
        header = re.search(rf"(?m)^\[{re.escape(section)}\][^\n]*\n", text)
    body_end = re.search(r"(?m)^\[", text[header.end():])
    end = header.end() + (body_end.start() if body_end else len(text) - header.end())
    body = text[header.end():end]
    for name, value in values.items():
        if isinstance(value, (list, tuple)):
            line = f"{name} = [{', '.join(chr(34) + v + chr(34) for v in value)}]"
        elif isinstance(value, bool):
            line = f"{name} = {str(value).lower()}"
        else:
            line = f"{name} = {value!r}".replace("'", '"')
        found = re.search(rf"(?m)^{name} = .*$", body)
        body = body[:found.start()] + line + body[found.end():] if found else line + "\n" + body
    path.write_text(text[:header.end()] + body + text[end:], encoding="utf-8")
    return path


def findings(path: Path) -> list[doctor.Finding]:
    return doctor.run_checks(load(path))


def of(found: list[doctor.Finding], message: str) -> list[doctor.Finding]:
    return [f for f in found if f.message == message]


def run(capsys, path: Path) -> tuple[int, list[str]]:
    """``till doctor`` in-process: its exit code and its lines; a failure is also one line on
    stderr, as every command that exits 1 says it (for cron and monitoring scripts)."""
    code = main(["--config", str(path), "doctor"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert len(captured.err.splitlines()) == (1 if code else 0), captured.err
    return code, captured.out.splitlines()


# --- the demo shop ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("doctor-demo") / "shop"
    build_demo(folder, days=3)
    return folder / "till.toml"


def test_the_demo_shop_passes_on_one_screen(demo):
    result = till("--config", str(demo), "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith(("OK ", "WARN ")) for line in lines), result.stdout
    assert len(lines) <= 24
    assert "Traceback" not in result.stdout + result.stderr
    found = findings(demo)
    checked = {f.message for f in found}
    for message in (files.CONFIG_OK, files.FILES_PRIVATE, database.DB_OK, journal.KEY_OK, journal.ANCHORS_OK,
                    journal.JOURNAL_OK, activity.CARDS_OK, activity.OUTBOX_OK, headoffice.NO_HEAD_OFFICE,
                    journal.CLOCK_OK):
        assert message in checked, message
    simulated = of(found, devices.DEVICE_SIMULATED)
    assert len(simulated) == 3  # the demo's file printer, logged drawer and terminal simulator
    assert of(found, activity.CLOSED_UP_TO) or of(found, activity.DAY_OPEN) or of(found, activity.TODAY_CLOSED)


# --- the signing key ----------------------------------------------------------------------------

def test_a_missing_key_fails_with_the_fix(shop, capsys):
    key = shop.config.resolve(shop.config.till.key_file)
    key.unlink()
    code, lines = run(capsys, shop.config.path)
    assert code == 1
    failed = of(findings(shop.config.path), journal.KEY_MISSING)
    assert [f.status for f in failed] == [doctor.FAIL]
    assert "put the till's key file back" in failed[0].text("en")
    assert any(line.startswith("FAIL") and str(key) in line and "sauvegarde" in line for line in lines), lines
    assert of(findings(shop.config.path), journal.JOURNAL_OK)  # the other checks went on


def test_a_key_others_may_read_fails_with_chmod(shop):
    key = shop.config.resolve(shop.config.till.key_file)
    os.chmod(key, 0o644)
    found = of(findings(shop.config.path), journal.KEY_UNUSABLE)
    assert [f.status for f in found] == [doctor.FAIL]
    assert "chmod 600" in found[0].text("en")


def test_another_key_than_the_journals_fails(shop, tmp_path):
    key = shop.config.resolve(shop.config.till.key_file)
    key.unlink()
    Signer.create(key)
    found = of(findings(shop.config.path), journal.KEY_UNUSABLE)
    assert [f.status for f in found] == [doctor.FAIL]
    assert "not in this till's key chain" in found[0].text("en")


# --- the database -------------------------------------------------------------------------------

def test_a_missing_database_fails_and_the_other_checks_still_run(shop, capsys):
    shop.ctx.close()
    path = Path(load(shop.config.path).database_url[len("sqlite:///"):])
    path.unlink()
    code, lines = run(capsys, shop.config.path)
    assert code == 1
    assert not path.exists()  # never created by a doctor
    found = findings(shop.config.path)
    assert [f.status for f in of(found, database.DB_MISSING)] == [doctor.FAIL]
    assert of(found, devices.DEVICE_SIMULATED) and of(found, journal.KEY_LOADS)


def test_a_damaged_database_fails(shop):
    shop.ctx.close()
    path = Path(load(shop.config.path).database_url[len("sqlite:///"):])
    data = bytearray(path.read_bytes())
    data[4096 * 3: 4096 * 3 + 200] = b"\xff" * 200  # a page of the file overwritten
    path.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    found = doctor.run_checks(load(shop.config.path), [database.database])
    assert found[0].status == doctor.FAIL
    assert found[0].message in (database.DB_DAMAGED, database.DB_UNREADABLE)


def test_a_doctor_run_leaves_the_open_shop_bound_to_its_own_database(shop):
    findings(shop.config.path)
    assert database_proxy.obj is shop.ctx.database
    sell(shop, [("BAG", 1)])  # the till goes on selling


def test_a_database_that_cannot_be_reached_fails_and_leaves_the_shop_bound(shop):
    set_keys(shop.config.path, "till", database=f"postgresql://nobody@127.0.0.1:{free_port()}/till")
    found = findings(shop.config.path)
    assert [f.status for f in of(found, database.DB_UNREADABLE)] == [doctor.FAIL]
    assert "nobody" not in of(found, database.DB_UNREADABLE)[0].params["where"]  # no user or password shown
    assert database_proxy.obj is shop.ctx.database


def test_a_database_older_or_newer_than_the_program_is_said_and_not_read(shop):
    shop.ctx.database.execute_sql("DELETE FROM schema_migration WHERE version = (SELECT MAX(version) "
                                  "FROM schema_migration)")
    found = findings(shop.config.path)
    assert [f.status for f in of(found, database.SCHEMA_BEHIND)] == [doctor.WARN]
    assert not of(found, journal.JOURNAL_OK)  # not read until the till has migrated it
    shop.ctx.database.execute_sql("INSERT INTO schema_migration (version, name, applied_at) "
                                  "VALUES (9998, 'm9998_future', '2099-01-01'), (9999, 'm9999_future', '2099-01-01')")
    ahead = of(findings(shop.config.path), database.SCHEMA_AHEAD)
    assert [f.status for f in ahead] == [doctor.FAIL] and ahead[0].params["steps"] == "9998, 9999"


def test_free_disk_space_warns_then_fails():
    usage = namedtuple("usage", "total used free")
    gb, mb = 1024 ** 3, 1024 ** 2
    assert database.disk_verdict(Path("/"), usage(32 * gb, 10 * gb, 22 * gb)).status == doctor.OK
    assert database.disk_verdict(Path("/"), usage(32 * gb, 30 * gb, 2 * gb)).status == doctor.WARN  # under 10 %
    low = database.disk_verdict(Path("/"), usage(4 * gb, 0, 400 * mb))
    assert low.status == doctor.WARN and "400 MB" in low.text("en")
    full = database.disk_verdict(Path("/"), usage(32 * gb, 0, 20 * mb))
    assert full.status == doctor.FAIL and "free space now" in full.text("en")


# --- devices ------------------------------------------------------------------------------------

def test_a_serial_printer_and_drawer_that_are_not_there_fail_naming_them(shop, capsys):
    set_keys(shop.config.path, "printer", driver="escpos_serial", path="/dev/ttyUSB-none")
    set_keys(shop.config.path, "drawer", kind="serial", path="/dev/ttyUSB-drawer")
    code, lines = run(capsys, shop.config.path)
    assert code == 1
    failed = [f.text("en") for f in of(findings(shop.config.path), devices.DEVICE_PROBLEM)]
    assert ("printer (escpos_serial): /dev/ttyUSB-none does not exist: check the cable and the device name in the "
            "configuration") in failed
    assert any(text.startswith("cash drawer (serial): /dev/ttyUSB-drawer does not exist") for text in failed)
    assert any(line.startswith("FAIL") and "/dev/ttyUSB-none" in line for line in lines)


def test_a_network_printer_that_answers_is_ok_and_one_that_does_not_fails(shop):
    with NetworkPrinterSimulator() as printer:
        set_keys(shop.config.path, "printer", driver="escpos_network", host="127.0.0.1", port=printer.port)
        answered = of(findings(shop.config.path), devices.DEVICE_ANSWERS)
        assert [f.params["where"] for f in answered] == [f"127.0.0.1:{printer.port}"]
        printer.state.paper_out = True
        out = of(findings(shop.config.path), devices.DEVICE_STATE)
        assert [f.status for f in out] == [doctor.WARN]
        connections = printer.state.connections
        with running_till(load(shop.config.path)):  # the running till holds the printer's one connection
            in_use = of(findings(shop.config.path), devices.DEVICE_IN_USE)
        assert [f.status for f in in_use] == [doctor.OK] and printer.state.connections == connections
    set_keys(shop.config.path, "printer", port=free_port())
    silent = of(findings(shop.config.path), devices.DEVICE_SILENT)
    assert [f.status for f in silent] == [doctor.FAIL]


def test_a_serial_drawer_with_a_sensor_answers_with_its_state(shop):
    with Rfc2217DrawerSimulator(line="cts") as drawer:
        set_keys(shop.config.path, "drawer", kind="serial", path=drawer.url, status_line="cts")
        answered = of(findings(shop.config.path), devices.DEVICE_ANSWERS)
        assert [f.text("en") for f in answered] == [f"cash drawer {drawer.url}: answers (drawer closed)"]
    silent = [f for f in findings(shop.config.path) if f.params.get("driver") == "serial"]
    assert [f.status for f in silent] == [doctor.FAIL]  # the device server is gone


def test_a_concert_terminal_answers_its_handshake_unless_the_till_is_running(shop):
    with ConcertSimulator(step_s=0.2) as simulator:
        set_keys(shop.config.path, "payment", terminal="concert", device=simulator.path, simulate=False)
        answered = of(findings(shop.config.path), devices.DEVICE_ANSWERS)
        assert [f.text("en") for f in answered] == [f"card terminal {simulator.path}: answers (ready)"]
        assert simulator.requests == []  # a handshake, never a request
        with running_till(load(shop.config.path)):
            assert of(findings(shop.config.path), devices.DEVICE_IN_USE)
    gone = of(findings(shop.config.path), devices.DEVICE_PROBLEM)
    assert [f.status for f in gone] == [doctor.FAIL] and "does not exist" in gone[0].text("en")


def test_a_caisse_ap_terminal_that_does_not_answer_fails(shop):
    set_keys(shop.config.path, "payment", terminal="caisse_ap", host="127.0.0.1", port=free_port(), simulate=False)
    silent = of(findings(shop.config.path), devices.DEVICE_SILENT)
    assert [f.status for f in silent] == [doctor.FAIL]


def test_a_scanner_and_display_paths_are_checked(shop):
    set_keys(shop.config.path, "scanner", sources=["wedge", "evdev"], evdev_path="/dev/input/by-id/none-kbd")
    set_keys(shop.config.path, "display", driver="epson", path="/dev/ttyUSB-display")
    failed = [f.text("en") for f in of(findings(shop.config.path), devices.DEVICE_PROBLEM)]
    assert any(text.startswith("scanner (evdev): /dev/input/by-id/none-kbd does not exist") for text in failed)
    assert any(text.startswith("customer display (epson): /dev/ttyUSB-display does not exist") for text in failed)


NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another group and become nobody")
def test_a_device_this_user_may_not_open_names_the_group_to_join(tmp_path):
    """As the till's user (here: nobody, in a child process) on a device file of group dialout,
    mode 0660, the line names the group to join and the command that does it."""
    folder = Path(tempfile.mkdtemp())
    try:
        os.chmod(folder, 0o755)
        device = folder / "ttyUSB0"
        device.write_bytes(b"")
        try:
            dialout = grp.getgrnam("dialout").gr_gid
        except KeyError:
            pytest.skip("no dialout group on this machine")
        os.chown(device, 0, dialout)
        os.chmod(device, 0o660)
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # the child: drop to nobody, check, report, and leave without pytest's cleanup
            try:
                os.close(reader)
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
                    os.environ.pop(name, None)
                text = devices.path_finding(devices.PRINTER, "escpos_serial", str(device)).text("en")
                os.write(writer, text.encode("utf-8"))
            finally:
                os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as answer:
            text = answer.read().decode("utf-8")
        os.waitpid(child, 0)
        nobody = __import__("pwd").getpwuid(NOBODY).pw_name
        assert text == (f"printer (escpos_serial): Permission denied on {device}: add user {nobody} to group dialout "
                        f"(sudo usermod -aG dialout {nobody}), then log in again")
    finally:
        shutil.rmtree(folder)


# --- the day's work -------------------------------------------------------------------------------

def test_an_unknown_card_outcome_fails_with_how_to_settle_it(shop, concert, capsys):
    unanswered_card_refund(shop, concert)
    code, lines = run(capsys, shop.config.path)
    assert code == 1
    found = of(findings(shop.config.path), activity.CARDS_UNKNOWN)
    assert [f.status for f in found] == [doctor.FAIL]
    assert "till card settle ID --approved REF or --declined" in found[0].text("en")


def test_a_job_the_outbox_gave_up_on_warns(shop, capsys):
    sell(shop, [("BAG", 1)])
    with shop.ctx.database.atomic():
        job = outbox.enqueue(shop.ctx.till_id, outbox.PRINT_RECEIPT, {"ticket_id": 1})
    OutboxJob.update(attempts=outbox.MAX_ATTEMPTS - 1).where(OutboxJob.id == job.id).execute()

    def printer_gone(_payload):
        raise OSError("printer unplugged")

    outbox.process(shop.ctx.till_id, {outbox.PRINT_RECEIPT: printer_gone})
    code, lines = run(capsys, shop.config.path)
    assert code == 0  # a warning: the sale is safe, the receipt waits
    found = of(findings(shop.config.path), activity.OUTBOX_GAVE_UP)
    assert [f.status for f in found] == [doctor.WARN]
    assert "printer unplugged" in found[0].text("en") and "till outbox run" in found[0].text("en")


def test_a_day_with_sales_and_no_closure_warns(shop):
    when = utcnow() - dt.timedelta(days=2)
    draft = dataclasses.replace(paid_draft(shop, [("BAG", 1)]), created_at=when)
    with sealing_at(when):  # sold two days ago; nobody closed that day
        write_ticket(shop.ctx.sealer, shop.config.accounts, draft)
    found = of(findings(shop.config.path), activity.DAY_OPEN)
    assert [f.status for f in found] == [doctor.WARN]
    assert "till close day" in found[0].text("en")


# --- the clock ------------------------------------------------------------------------------------

def test_a_clock_behind_the_last_record_fails(shop, capsys):
    with sealing_at(utcnow() + dt.timedelta(days=1)):
        record_event(shop.ctx.sealer, INTEGRITY_CHECK, "sealed by a clock a day ahead")
    code, lines = run(capsys, shop.config.path)
    assert code == 1
    found = of(findings(shop.config.path), journal.CLOCK_BEHIND)
    assert [f.status for f in found] == [doctor.FAIL]
    assert "till clock acknowledge" in found[0].text("en")


def test_a_clock_far_ahead_of_the_last_record_warns(shop):
    config = load(shop.config.path)
    later = utcnow() + dt.timedelta(hours=config.fiscal.clock_jump_forward_hours + 5)
    with database.session():
        found = list(journal.clock_check(config, now=later))
    assert [f.status for f in found] == [doctor.WARN] and found[0].message == journal.CLOCK_AHEAD


# --- head office ----------------------------------------------------------------------------------

def test_no_head_office_is_ok(shop):
    assert [f.status for f in of(findings(shop.config.path), headoffice.NO_HEAD_OFFICE)] == [doctor.OK]


def test_an_unreachable_head_office_warns(shop, capsys):
    set_keys(shop.config.path, "sync", url=f"http://127.0.0.1:{free_port()}")
    code, lines = run(capsys, shop.config.path)
    assert code == 0
    found = findings(shop.config.path)
    assert [f.status for f in of(found, headoffice.UNREACHABLE)] == [doctor.WARN]
    assert [f.status for f in of(found, headoffice.SYNC_NEVER)] == [doctor.WARN]


@pytest.fixture
def head_office(tmp_path):
    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}").start()
    yield office
    office.stop()


def test_a_head_office_that_answers_is_ok_once_the_till_is_enrolled(shop, head_office):
    set_keys(shop.config.path, "sync", url=head_office.url)
    assert [f.status for f in of(findings(shop.config.path), headoffice.NOT_ENROLLED)] == [doctor.FAIL]
    enroll(shop.ctx.till_id, "PARIS", shop.ctx.sealer.signer.public_pem)
    found = findings(shop.config.path)
    assert [f.status for f in of(found, headoffice.REACHABLE)] == [doctor.OK]
    assert [f.status for f in of(found, headoffice.SYNC_NEVER)] == [doctor.WARN]
    assert main(["--config", str(shop.config.path), "sync"]) == 0
    assert [f.status for f in of(findings(shop.config.path), headoffice.LAST_SYNC)] == [doctor.OK]


def test_a_head_office_certificate_not_trusted_is_explained(shop, tmp_path):
    cert, key = self_signed(tmp_path)
    office = HeadOffice(f"sqlite:///{tmp_path / 'headoffice.db'}", tls=(str(cert), str(key))).start()
    try:
        set_keys(shop.config.path, "sync", url=office.url)
        found = of(findings(shop.config.path), headoffice.TLS_REFUSED)
        assert [f.status for f in found] == [doctor.FAIL]
        assert "sync.ca_file" in found[0].text("en")
    finally:
        office.stop()


# --- configuration ------------------------------------------------------------------------------

def test_a_corrupt_configuration_exits_2_with_the_loaders_message(shop, capsys):
    shop.config.path.write_text("[shop\nname = ", encoding="utf-8")
    assert main(["--config", str(shop.config.path), "doctor"]) == 2
    assert "till.toml" in capsys.readouterr().err


def test_every_doctor_sentence_has_french():
    french = _catalogue("fr")
    missing = [message for message in doctor.MESSAGES if message not in french]
    assert missing == []


@pytest.mark.postgres
def test_a_shop_on_postgresql_is_connected_read_only_and_passes(pg_shop):
    found = findings(pg_shop.config.path)
    assert [f.status for f in of(found, database.DB_CONNECTED)] == [doctor.OK]
    assert [f for f in found if f.status == doctor.FAIL] == []
    assert of(found, journal.JOURNAL_OK) and of(found, activity.OUTBOX_OK)
