"""The README's auditor checklist stays true: every fiscal requirement maps to code and tests that exist.

The README's table "Requirements, code and tests" answers an inspector's or a certification
lab's first question, "where is this rule met, and how do you know?", one row per requirement of
the French fiscal rules the till follows (CGI 286-I-3° bis, NF525, the FEC). A table like that
rots silently when a module is renamed or a test deleted; these tests keep it honest: each row's
code and test references must name files, functions and tests that exist, and no requirement may
be missing or listed twice.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from tests.support.source import parse_python

ROOT = Path(__file__).resolve().parent.parent
HEADING = "#### Requirements, code and tests"

REQUIREMENTS = (
    "R-DATA-01", "R-DATA-02", "R-DATA-03", "R-DATA-04",
    "R-INA-01", "R-INA-02", "R-INA-03", "R-INA-04", "R-INA-05", "R-INA-06",
    "R-SEC-01", "R-SEC-02", "R-SEC-03", "R-SEC-04", "R-SEC-05", "R-SEC-06", "R-SEC-07", "R-SEC-08",
    "R-CON-01", "R-CON-02", "R-CON-03", "R-CON-04", "R-CON-05", "R-CON-06",
    "R-ARC-01", "R-ARC-02", "R-ARC-03", "R-ARC-04", "R-ARC-05", "R-ARC-06",
    "R-JET-01", "R-DUP-01", "R-TRN-01", "R-PRO-01", "R-SEQ-01", "R-CLK-01",
    "FEC",
)
"""The requirements of the French fiscal reference the till is built to (and the FEC export)."""

_REFERENCE = re.compile(r"`([A-Za-z0-9_./-]+\.py)(?:::([A-Za-z_][A-Za-z0-9_]*))?`")


def _table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HEADING in text, f"the README has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("| R-") or line.startswith("| FEC"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@cache
def _names_defined(path: Path) -> frozenset[str]:
    """Functions, classes and module-level names of a Python file (test classes' methods too)."""
    tree = parse_python(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def test_every_requirement_has_exactly_one_row():
    ids = [row[0].strip("*") for row in _table_rows()]
    assert sorted(ids) == sorted(REQUIREMENTS), (
        f"missing: {sorted(set(REQUIREMENTS) - set(ids))}, unknown: {sorted(set(ids) - set(REQUIREMENTS))}, "
        f"twice: {sorted({i for i in ids if ids.count(i) > 1})}")


def test_every_row_names_code_and_tests_that_exist():
    problems = []
    for row in _table_rows():
        assert len(row) == 4, f"a row has requirement | what | code | tests: {row}"
        requirement, _what, code, tests = row
        code_refs, test_refs = _REFERENCE.findall(code), _REFERENCE.findall(tests)
        if not code_refs:
            problems.append(f"{requirement}: no code named")
        if not test_refs and "not applicable" not in tests.lower():
            problems.append(f"{requirement}: no test named")
        for path_text, name in code_refs + test_refs:
            path = ROOT / path_text
            if not path.is_file():
                problems.append(f"{requirement}: {path_text} does not exist")
            elif name and name not in _names_defined(path):
                problems.append(f"{requirement}: {path_text} defines no {name}")
        for path_text, name in test_refs:
            if not path_text.startswith("tests/") or not name.startswith("test"):
                problems.append(f"{requirement}: {path_text}::{name} is not a test")
    assert not problems, "\n".join(problems)
