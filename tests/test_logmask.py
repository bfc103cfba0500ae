"""Credit-note codes are masked in logs: all but the last four characters, whatever the form
the code was written in, and nothing else is touched."""

from __future__ import annotations

import logging

from till.credit.notes import make_code
from till.logmask import MaskingFilter, mask_code, mask_codes


def _hidden(code: str) -> str:
    """The characters a masked code must not show: the body but its last three."""
    return code.replace("-", "")[2:-4]


def test_a_code_keeps_its_prefix_and_last_four_characters_only():
    for _ in range(50):
        code = make_code()
        masked = mask_code(code)
        assert masked == f"AV-****-****-****-*{code[-5:-2]}-{code[-1]}"
        assert _hidden(code) not in masked.replace("-", "")


def test_codes_are_found_however_they_were_written():
    code = make_code()
    compact = code.replace("-", "")
    for written in (code, compact, compact.lower(), code.replace("-", " "), "x" + code + "y"):
        text = mask_codes(f"GET /v1/credit-notes/{written}/redeem 200")
        assert _hidden(code).lower() not in text.lower(), written
        assert mask_code(code) in text
    assert mask_codes(mask_code(code)) == mask_code(code)  # masking twice changes nothing


def test_ordinary_text_is_left_alone():
    text = "available-everywhere avant-garde AVAILABLE_EVERYWHERE 2026-11-07 ticket 01-T-000123 AV-TEST"
    assert mask_codes(text) == text


def test_the_filter_masks_arguments_in_place_and_tracebacks():
    code = make_code()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/v1/credit-notes/{code}", "1.1", 200), None)
    assert MaskingFilter().filter(record)
    assert record.args[2] == f"/v1/credit-notes/{mask_code(code)}" and record.args[4] == 200  # shape kept
    try:
        raise ValueError(f"No credit note has the code {code}")
    except ValueError:
        import sys

        failed = logging.LogRecord("till", logging.ERROR, __file__, 1, "payment failed: %s", (sys.exc_info()[1],),
                                   sys.exc_info())
    MaskingFilter().filter(failed)
    written = logging.Formatter().format(failed)
    assert code not in written and written.count(mask_code(code)) == 2
