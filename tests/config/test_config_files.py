"""The files a technician copies from config/: the cron line, the systemd units and timer.

Each command they run is parsed by the real command line (a renamed option would leave cron
failing every 15 minutes in silence), and the units are checked by ``systemd-analyze verify``
with their executables pointed at this environment's, every warning about them counted.
"""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from headoffice.cli import build_parser as headoffice_parser
from till.cli.main import build_parser as till_parser

CONFIG = Path(__file__).resolve().parents[2] / "config"
SYSTEMD = CONFIG / "systemd"
BIN = Path(sys.executable).parent


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(SYSTEMD / name, encoding="utf-8")
    return parser


def _parse(command: list[str]):
    """The arguments of a ``till`` or ``till-headoffice`` command line, parsed by its own parser."""
    program = Path(command[0]).name
    parser = {"till": till_parser, "till-headoffice": headoffice_parser}[program]()
    return parser.parse_args(command[1:])


def test_the_cron_line_runs_till_sync_as_the_till_user_every_15_minutes():
    lines = [line for line in (CONFIG / "cron.example").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(None, 6)
    till = _unit("till.service")["Service"]
    assert fields[:5] == ["*/15", "*", "*", "*", "*"]
    assert fields[5] == till["User"]  # /etc/cron.d has a user field: the till's own, owner of its files
    command = shlex.split(fields[6].split(">>")[0])
    args = _parse(command)
    assert args.command == "sync" and args.config == _till_config() and not args.dry_run
    assert command[0] == shlex.split(till["ExecStart"])[0]  # the till installed as the README says


def _till_config() -> str:
    """The till.toml the till's own unit runs on."""
    environment = dict(item.split("=", 1) for item in _unit_values("till.service", "Environment"))
    return environment["TILL_CONFIG"]


def _unit_values(name: str, key: str) -> list[str]:
    """Every value of a key a unit repeats (configparser keeps only the last)."""
    return [line.split("=", 1)[1] for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines()
            if line.startswith(f"{key}=")]


def test_the_sync_service_and_its_timer_belong_together():
    service, timer = _unit("till-sync.service"), _unit("till-sync.timer")
    till = _unit("till.service")["Service"]
    command = shlex.split(service["Service"]["ExecStart"])
    args = _parse(command)
    assert args.command == "sync" and args.config == _till_config() and service["Service"]["Type"] == "oneshot"
    assert command[0] == shlex.split(till["ExecStart"])[0]
    assert (service["Service"]["User"], service["Service"]["Group"]) == (till["User"], till["Group"])
    # "unreachable" (3) and "another run holds the lock" (4) are not failures of the unit.
    assert set(service["Service"]["SuccessExitStatus"].split()) == {"3", "4"}
    assert timer["Timer"]["OnUnitActiveSec"] == "15min" and timer["Install"]["WantedBy"] == "timers.target"
    assert "Unit" not in timer["Timer"]  # same name as the service: the timer starts it


def test_the_head_office_service_serves():
    unit = _unit("till-headoffice.service")
    assert _parse(shlex.split(unit["Service"]["ExecStart"])).command == "serve"
    assert unit["Service"]["Environment"].startswith("TILL_HEADOFFICE_CONFIG=")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_finds_nothing_to_say_about_the_units(tmp_path):
    names = ["till.service", "till-sync.service", "till-sync.timer", "till-headoffice.service"]
    for name in names:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        # the installed executables, pointed at this environment's
        text = text.replace("/opt/till-headoffice/venv/bin/till-headoffice ", f"{BIN / 'till-headoffice'} ")
        text = text.replace("/srv/till/.venv/bin/till ", f"{BIN / 'till'} ")
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(tmp_path / n) for n in names]],
                            capture_output=True, text=True, timeout=60)
    about_ours = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and about_ours == [], result.stdout + result.stderr
