"""The PostgreSQL driver is an optional extra (``pip install 'till[postgres]'``).

A shop on SQLite (the default, a one-till shop on a Raspberry Pi) installs nothing it does not
use; a shop or a head office on PostgreSQL without the driver is told, in one line, what to
install. Each check runs in its own process where ``import psycopg2`` fails, as on an install
without the extra (the test run itself has the driver: its PostgreSQL tests need it).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib

from tests.support.processes import ROOT
from tests.support.source import parse_python

WITHOUT_DRIVER = "import sys; sys.modules['psycopg2'] = None  # as if till[postgres] were not installed\n"


def without_driver(code: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TILL_CONFIG", None)
    return subprocess.run([sys.executable, "-c", WITHOUT_DRIVER + code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_driver_is_an_extra_that_the_tests_and_head_office_bring():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [need for need in project["dependencies"] if need.startswith("psycopg")]
    extras = project["optional-dependencies"]
    assert [need for need in extras["postgres"] if need.startswith("psycopg2")] == ["psycopg2-binary>=2.9"]
    for extra in ("test", "headoffice"):
        assert "till[postgres]" in extras[extra], extra


def test_only_one_module_imports_the_driver():
    """Anywhere else, an import of psycopg2 would make the extra a requirement again."""
    found = []
    for package in ("till", "store", "devices", "reports", "headoffice"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(parse_python(path.read_text(encoding="utf-8"))):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(name.split(".")[0] in ("psycopg2", "psycopg") for name in names):
                    found.append(str(path.relative_to(ROOT)))
    assert found == ["till/postgres_driver.py"]


def test_a_shop_on_sqlite_runs_without_the_driver(tmp_path):
    code = f"""
import contextlib, io
import till, store, store.db, headoffice.store
from till.cli.main import main
shop = {str(tmp_path / "shop")!r}
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["init", "--dir", shop, "--shop-name", "Librairie", "--siret", "12345678900011",
                 "--vat-number", "FR12123456789", "--till-id", "01"]) == 0
    assert main(["journal", "verify", "--config", shop + "/till.toml"]) == 0
    try:
        main(["--help"])
    except SystemExit as done:
        assert done.code == 0
loaded = [name for name, module in sys.modules.items() if name.startswith("psycopg2") and module is not None]
assert not loaded, loaded
print("ok")
"""
    result = without_driver(code, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_a_shop_on_postgresql_without_the_driver_is_told_what_to_install(tmp_path):
    (tmp_path / "till.toml").write_text(
        '[till]\ndatabase = "postgresql://till:s3cret@db.example:5432/shop"\nlanguage = "en"\n', encoding="utf-8")
    code = "from till.cli.main import main\nsys.exit(main(['journal', 'verify', '--config', 'till.toml']))\n"
    result = without_driver(code, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "pip install 'till[postgres]'" in result.stderr
    assert "db.example:5432/shop" in result.stderr and "s3cret" not in result.stderr


def test_a_head_office_on_postgresql_without_the_driver_is_told_what_to_install(tmp_path):
    (tmp_path / "headoffice.toml").write_text(
        '[headoffice]\ndatabase = "postgresql://ho:s3cret@db.example/headoffice"\n', encoding="utf-8")
    code = "from headoffice.cli import main\nsys.exit(main(['--config', 'headoffice.toml', 'alerts']))\n"
    result = without_driver(code, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("till-headoffice: ") and "pip install 'till[postgres]'" in result.stderr
    assert "s3cret" not in result.stderr
