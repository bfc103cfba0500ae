"""till.log is rotated: at ``till.log_max_kb`` it becomes till.log.1 (and so on, up to
``till.log_backups`` old files), every new file private (0600) from its first byte; a process
whose file another process rotated (the till and cron's ``till sync`` share the log) writes on
into the new file rather than rotating again."""

from __future__ import annotations

import dataclasses
import logging

from till.cli.common import setup_logging
from tests.support.processes import mode


def small_log(config, max_kb: int = 1, backups: int = 2):
    return dataclasses.replace(config, till=dataclasses.replace(config.till, log_max_kb=max_kb, log_backups=backups))


def test_the_log_is_rotated_and_every_file_stays_private(shop, own_logging):
    config = small_log(shop.config)
    setup_logging(config)
    path = config.resolve(config.till.log_file)
    log = logging.getLogger("till.test")
    for number in range(100):  # about 8 KB: rotated several times
        log.info("line %03d %s", number, "x" * 40)
    old = sorted(p.name for p in path.parent.glob(path.name + ".*"))
    assert old == [path.name + ".1", path.name + ".2"]  # two backups kept, the oldest dropped
    for file in (path, *(path.parent / name for name in old)):
        assert mode(file) == 0o600 and file.stat().st_size <= 1024
    assert "line 099" in path.read_text(encoding="utf-8")


def test_a_log_rotated_by_another_process_is_followed(shop, own_logging):
    config = small_log(shop.config, max_kb=64)
    setup_logging(config)
    path = config.resolve(config.till.log_file)
    log = logging.getLogger("till.test")
    log.info("before")
    path.rename(path.parent / (path.name + ".1"))  # what the other process's rotation did
    log.info("after")
    assert path.read_text(encoding="utf-8").count("after") == 1 and mode(path) == 0o600
    assert "after" not in (path.parent / (path.name + ".1")).read_text(encoding="utf-8")
