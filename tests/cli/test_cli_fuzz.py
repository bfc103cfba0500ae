"""The ``till`` command fed odd input: malformed arguments, configuration files with odd TOML,
import files with huge, deep or odd JSON. Whatever comes in, what comes out is a technician's
answer: exit 0, or 1 (a check failed) or 2 (something to fix) with exactly one line on stderr,
and never a traceback. In-process for the few hundred generated cases (fast), plus real
processes for a handful, as a shell runs them.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from till.cli.main import main
from tests.support.processes import till

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def shop_config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz") / "shop"
    assert main(["init", "--dir", str(folder)]) == 0
    return folder / "till.toml"


@pytest.fixture
def no_terminal(monkeypatch, tmp_path):
    """No terminal to prompt on (as under cron), and a scratch folder for whatever a command writes."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.chdir(tmp_path)


def check(capsys, argv: list[str]) -> int:
    """Run ``till ARGV`` and hold its output to the rules above; its exit code."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, (argv, err)
    assert code in (0, 1, 2), (argv, code)
    if code:
        assert len(err.splitlines()) == 1, (argv, err)
        assert err.startswith("till"), (argv, err)
    return code


# -- malformed arguments ------------------------------------------------------------------------

COMMANDS = [
    ["user", "add"], ["user", "unlock"], ["user", "list"], ["journal", "verify"], ["clock", "acknowledge"],
    ["key", "rotate"], ["import", "catalogue"], ["import", "orders"], ["close", "day"], ["close", "month"],
    ["report", "sales"], ["report", "z"], ["archive", "export"], ["devices", "list"], ["sync"],
    ["export", "fec"], ["doctor"], ["card", "pending"], ["card", "settle"], ["outbox", "run"], ["user"],
    ["journal"], ["nonsense"],
]
OPTIONS = ["--pin", "--role", "--name", "--from", "--to", "--period", "--out", "--till", "--manager", "--note",
           "--archive", "--config", "--format", "--limit", "--by", "--date", "--year", "--bogus", "-x"]
ODD = st.one_of(
    st.sampled_from(["", "-", "--", "0", "-1", "9" * 40, "0001-01-01", "9999-12-31", "2026-13-45", "../../etc",
                     "all", "\u0661\u0662\u0663\u0664", "NaN", "1e400", "é", "x" * 500, "/proc/nope/x",
                     "manager", "csv", "json"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)
TOKEN = st.one_of(st.sampled_from(OPTIONS), ODD)


@FUZZ
@given(command=st.sampled_from(COMMANDS), tokens=st.lists(TOKEN, max_size=6))
def test_malformed_arguments(shop_config, no_terminal, capsys, command, tokens):
    check(capsys, ["--config", str(shop_config), *command, *tokens])


# -- configuration files with odd TOML ----------------------------------------------------------

KEYS = ["[shop]\nname", "[till]\nid", "[till]\ndatabase", "[till]\nanchor_dir", "[till]\nkey_file",
        "[sale]\nmax_quantity", "[sale]\nmanager_discount_percent", "[sync]\nurl", "[sync]\nbatch_size",
        "[returns]\nwindow_days", "[nonsense]\nkey", "[till]\nnonsense"]
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["10e20", "inf", "nan", "-0.0", "true", "1979-05-27T07:32:00Z", "[]", "{}", '"\\u0000"',
                     '"sqlite:///"', '"http://8.8.8.8"', '"https://[::1]:0"', '"../../etc"', '""',
                     "[" * 3000 + "]" * 3000, '"' + "x" * 5000 + '"', "'unterminated", '"\\q"']),
    st.text(max_size=20).map(json.dumps),
)


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=3),
       cut=st.one_of(st.none(), st.integers(min_value=0, max_value=3000)))
def test_odd_configuration_files(shop_config, tmp_path, no_terminal, capsys, edits, cut):
    text = shop_config.read_text()
    if cut is not None:
        text = text[:cut]
    for key, value in edits:  # in place: a second [till] header would only test tomllib's refusal of it
        section, name = key.split("\n")
        text = re.sub(rf"(?m)^{name} =.*$", "", text)
        if f"{section}\n" in text:
            text = text.replace(f"{section}\n", f"{section}\n{name} = {value}\n", 1)
        else:
            text += f"\n{section}\n{name} = {value}\n"
    path = tmp_path / "odd.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check(capsys, ["--config", str(path), "user", "list"])


# -- import files with huge, deep or odd JSON ---------------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=False),
    st.integers(min_value=-(2**80), max_value=2**80), st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1]),
    st.text(max_size=10), st.sampled_from(["A\u0000B", "N", "2026-01-01T00:00:00Z", "WIN-0001"]),
)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["sku", "name", "price_cents", "vat_code", "barcodes", "quantity", "number", "lines",
                     "ordered_at", "category", "x"]), inner, max_size=5), max_leaves=20)
PRODUCT = st.fixed_dictionaries({"sku": SCALARS, "name": SCALARS, "price_cents": SCALARS, "vat_code": SCALARS})


@FUZZ
@given(kind=st.sampled_from(["catalogue", "orders"]), body=st.one_of(JSON, st.lists(PRODUCT, max_size=3)),
       depth=st.sampled_from([0, 0, 0, 5000, 100_000]))
def test_odd_import_files(shop_config, tmp_path, no_terminal, capsys, kind, body, depth):
    key = "products" if kind == "catalogue" else "orders"
    text = json.dumps({key: body})
    if depth:
        text = '{"%s": %s%s}' % (key, "[" * depth, "]" * depth)
    path = tmp_path / "import.json"
    path.write_text(text)
    check(capsys, ["--config", str(shop_config), "import", kind, str(path)])


# -- a few real processes -----------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["init", "--dir", "/proc/nope/shop"],
    ["journal", "verify", "--config", "/nonexistent/till.toml"],
    ["user", "add"],
    ["report", "sales", "--from", "0001-01-01", "--to", "9999-12-31"],
    ["nonsense", "--bogus"],
])
def test_real_processes(shop_config, argv):
    if "--config" not in argv and argv[0] != "init":
        argv = [*argv, "--config", str(shop_config)]
    result = till(*argv)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
