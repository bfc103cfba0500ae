"""The till's launch imports only what its login screen and start-up checks need; the screens
and jobs a sale needs are loaded in the background once the login screen is drawn.

Most of the time from ``python -m till`` to the login screen is Python importing modules, so
each module left out of the launch path is time saved at every start. Checked by listing the
modules a fresh process holds, never by a clock.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.processes import ROOT

LATER = (
    "psycopg2", "till.ui.screens.sale", "till.ui.screens.payment", "till.ui.dialogs.manager_pin",
    "till.aftersale.jobs", "till.aftersale.archive_job", "till.selling.ticket_writer",
    "till.fiscal.verify", "till.backup.restore", "till.sync.client", "till.demo.build", "till.credit.notes",
    "devices.printer", "devices.scanner_readers", "reports.registry",
)
"""Modules the login screen does not need: loaded after it is drawn, or on first use."""

WARMED = ("till.ui.screens.sale", "till.ui.screens.payment", "till.aftersale.jobs", "till.selling.ticket_writer")
"""What the first scan and the first sale need: loaded in the background before a PIN is typed."""


def run(code: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TILL_CONFIG", None)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_launch_path_leaves_the_sale_screen_jobs_and_checks_for_later(shop, tmp_path):
    """``till --config FILE`` as launched, its start-up checks included, up to the app's run."""
    code = f"""
import sys
import textual.app
textual.app.App.run = lambda self, *args, **kwargs: print(",".join(sorted(name for name in {LATER!r}
                                                                         if name in sys.modules)))
from till.cli.main import main
sys.exit(main(["--config", {str(shop.config.path)!r}]))
"""
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == ""


def test_peewee_loaded_without_the_driver_leaves_the_driver_importable(tmp_path):
    """A SQLite till's peewee has no PostgreSQL driver; the driver is hidden only meanwhile."""
    code = """
import sys
from till.postgres_driver import peewee_without_driver
peewee_without_driver()
import peewee
assert "psycopg2" not in sys.modules and peewee.psycopg2 is None
import psycopg2  # still installed, for what else the process may need
"""
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def test_what_a_sale_needs_is_loaded_once_the_login_screen_is_drawn(shop, tmp_path):
    code = f"""
import asyncio, sys
from till.postgres_driver import peewee_without_driver
peewee_without_driver()  # as till.cli.main.run_ui does on a SQLite shop
from till.config.loader import load
from till.shop.running import start_till
from till.ui.app import TillApp
from till.ui.screens.login import LoginScreen

app = TillApp(start_till(load({str(shop.config.path)!r})))

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        print(",".join(sorted(name for name in {WARMED!r} if name not in sys.modules)))

asyncio.run(main())
app.ctx.close()
"""
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == ""


def test_the_login_screen_is_drawn_before_anything_else_is_loaded(shop, tmp_path):
    """What the login screen does when it is mounted and first shown, before its first frame,
    loads none of ``LATER`` (the demo's check among them: it needs ``till.demo.build``, loaded
    once the screen is drawn)."""
    code = f"""
import asyncio, sys
from till.postgres_driver import peewee_without_driver
peewee_without_driver()  # as till.cli.main.run_ui does on a SQLite shop
from till.config.loader import load
from till.shop.running import start_till
from till.ui.app import TillApp
from till.ui.screens.login import LoginScreen

loaded = []

def then_list(handler):
    def handle(screen):
        handler(screen)
        loaded.extend(name for name in {LATER!r} if name in sys.modules)
    return handle

LoginScreen.on_mount = then_list(LoginScreen.on_mount)
LoginScreen.on_screen_resume = then_list(LoginScreen.on_screen_resume)  # also called at the first show
app = TillApp(start_till(load({str(shop.config.path)!r})))

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
    print(",".join(sorted(loaded)))

asyncio.run(main())
app.ctx.close()
"""
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == ""


async def test_the_stylesheets_are_parsed_once_at_start(app, monkeypatch):
    """The console theme is set without Textual parsing every stylesheet a second time; the
    screens still get its colours and its class."""
    from textual.css.stylesheet import Stylesheet

    reparsed = []
    reparse = Stylesheet.reparse
    monkeypatch.setattr(Stylesheet, "reparse", lambda stylesheet: reparsed.append(1) or reparse(stylesheet))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert reparsed == []
        assert app.current_theme.name == "ansi-dark" and app.has_class("-theme-ansi-dark", "-dark-mode")
        assert app.get_css_variables()["background"] == "ansi_default"
