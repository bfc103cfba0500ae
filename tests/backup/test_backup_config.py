"""The ``[backup]`` section, the systemd units and the cron line a technician copies."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest

from till.config.loader import ConfigError, load
from tests.config.test_config_files import BIN, CONFIG, SYSTEMD, _parse, _till_config, _unit


def test_the_backup_settings_are_read_and_checked(tmp_path):
    path = tmp_path / "till.toml"
    path.write_text('[backup]\ndir = "usb"\nkeep_hourly_h = 48\n', encoding="utf-8")
    config = load(path)
    assert config.backup.configured and config.resolve(config.backup.dir) == tmp_path / "usb"
    assert (config.backup.keep_hourly_h, config.backup.keep_daily_d, config.backup.keep_monthly_m) == (48, 31, 12)
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    assert not load(tmp_path / "none.toml").backup.configured
    path.write_text('[backup]\ndir = "usb"\nkeep_daily_d = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3: backup.keep_daily_d must be between 0 and 10000"):
        load(path)
    (tmp_path / "afile").write_text("x")
    path.write_text('[backup]\ndir = "afile"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2: backup.dir is a file, not a folder"):
        load(path)
    path.write_text('[backup]\nkeep = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key backup.keep"):
        load(path)


def test_the_backup_service_timer_and_cron_line_run_till_backup():
    service, timer = _unit("till-backup.service"), _unit("till-backup.timer")
    till = _unit("till.service")["Service"]
    command = shlex.split(service["Service"]["ExecStart"])
    args = _parse(command)
    assert args.command == "backup" and args.config == _till_config() and not args.with_key
    assert command[0] == shlex.split(till["ExecStart"])[0]
    assert (service["Service"]["User"], service["Service"]["Group"]) == (till["User"], till["Group"])
    assert service["Service"]["UMask"] == "0077"
    assert timer["Timer"]["OnUnitActiveSec"] == "1h" and timer["Install"]["WantedBy"] == "timers.target"
    [line] = [line for line in (CONFIG / "cron-backup.example").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    fields = line.split(None, 6)
    assert fields[1:5] == ["*", "*", "*", "*"] and fields[5] == till["User"]
    args = _parse(shlex.split(fields[6].split(">>")[0]))
    assert args.command == "backup" and args.config == _till_config()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_finds_nothing_to_say_about_the_backup_units(tmp_path):
    names = ["till-backup.service", "till-backup.timer"]
    for name in names:
        text = (SYSTEMD / name).read_text(encoding="utf-8").replace("/srv/till/.venv/bin/till ", f"{BIN / 'till'} ")
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(tmp_path / n) for n in names]],
                            capture_output=True, text=True, timeout=60)
    about_ours = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert result.returncode == 0 and about_ours == [], result.stdout + result.stderr
