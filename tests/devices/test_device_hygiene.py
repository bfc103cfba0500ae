"""python-escpos stays out of the till until an ESC/POS driver is used, and then leaves no
trace: no handler writing to the terminal, its capability cache in one persistent folder. And
every message a device can show has its French translation."""

from __future__ import annotations

import ast
import builtins
import subprocess
import sys
from pathlib import Path

import pytest

from till.i18n import _catalogue

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, **env) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**environment, **env})


@pytest.mark.parametrize("module", ["devices.printer", "devices.drawer", "devices.escpos_printer", "till.aftersale.jobs",
                                    "till.aftersale.drawer"])
def test_importing_device_modules_does_not_import_escpos(module):
    result = run(f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'escpos'))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_escpos_loads_with_a_persistent_cache_and_no_terminal_logging(tmp_path):
    code = (
        "import logging, tempfile, os\n"
        "before = set(os.listdir(tempfile.gettempdir()))\n"
        "from devices.escpos_loader import escpos\n"
        "printer = escpos().Dummy()\n"
        "logging.info('escpos-style module-level log call')\n"
        "root = logging.getLogger()\n"
        "print([type(h).__name__ for h in root.handlers])\n"
        "print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])\n"
        "print(sorted(set(os.listdir(tempfile.gettempdir())) - before))\n"
    )
    result = run(code, XDG_CACHE_HOME=str(tmp_path / "cache"), TMPDIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    handlers, folder, new_temp = result.stdout.strip().splitlines()
    assert "StreamHandler" not in handlers
    assert folder == str(tmp_path / "cache" / "till" / "escpos")
    assert any(p.suffix == ".pickle" for p in Path(folder).iterdir())  # reused at the next start
    assert new_temp == "['cache']"  # the test's own cache folder, and no leaked mkdtemp() folder
    assert "escpos-style" not in result.stderr


def device_messages() -> list[str]:
    """Literal messages of errors raised in devices/, and the message constants they use."""
    from devices import drawer, escpos_printer, escpos_status, escpos_transport, paths, printer, settings

    found = set(escpos_status.MESSAGES.values())
    for module in (drawer, escpos_printer, escpos_transport, paths, printer, settings):
        found.update(v for k, v in vars(module).items() if k.isupper() and isinstance(v, str) and " " in v)
    for path in sorted((ROOT / "devices").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""
                if name.endswith("Error") and not hasattr(builtins, name):
                    found.add(node.args[0].value)
    return sorted(found)


@pytest.mark.parametrize("message", device_messages())
def test_device_message_has_a_french_translation(message):
    assert message in _catalogue("fr"), f"no French for {message!r}"


def test_escpos_says_nothing_in_the_log_or_on_the_terminal_while_printing(tmp_path):
    """python-escpos logs an INFO line at each connection opened and closed, through the root
    logger (so into till.log, twice a second with a drawer sensor), and print()s to stdout
    ("Using hardware barcode renderer"), which is the cashier's terminal: neither gets through.
    Its warnings still reach the log."""
    log_file = tmp_path / "till.log"
    code = (
        "import logging\n"
        f"logging.basicConfig(filename={str(log_file)!r}, level=logging.INFO, force=True)\n"
        "from devices.escpos_printer import EscposPrinter\n"
        "from devices.settings import PrinterSettings\n"
        "from devices.simulators.escpos_printer_sim import NetworkPrinterSimulator\n"
        "with NetworkPrinterSimulator() as sim:\n"
        "    printer = EscposPrinter(PrinterSettings(driver='escpos_network', host=sim.host, port=sim.port,\n"
        "                                            timeout_s=3, profile='TM-T20II'))\n"
        "    printer.print_lines(['Merci'], code='T01-000042')\n"
        "    printer.close()\n"
        "logging.getLogger('till.test').info('the till logs as before')\n"
        "logging.warning('escpos-style warning')\n"
        "print('done')\n"
    )
    result = run(code, ESCPOS_CAPABILITIES_PICKLE_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    logged = log_file.read_text(encoding="utf-8")
    assert "the till logs as before" in logged and "escpos-style warning" in logged
    assert "printer enabled" not in logged and "Closing" not in logged
