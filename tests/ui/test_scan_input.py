"""``ScanInput`` alone, in a bare app: every burst gives exactly its codes, in order."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input

from till.ui.widgets.scan_input import ScanInput
from tests.support.pilot import burst

CODES = ["3760000000017", "3760000000024", "3760000000031", "3760000000048", "3760000000055"]


class ScanApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.codes: list[str] = []

    def compose(self) -> ComposeResult:
        yield ScanInput()

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        self.codes.append(message.code)


class StockInputApp(App[None]):
    """What the till would do with a stock ``Input``: read and clear on ``Submitted``."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        self.codes.append(message.value)
        message.input.clear()


async def test_bursts_ended_by_cr_and_lf():
    app = ScanApp()
    async with app.run_test() as pilot:
        burst(app, *CODES[:3])
        burst(app, *CODES[3:], end="ctrl+j")
        burst(app, "")  # a lone Enter posts nothing
        await pilot.pause()
        assert app.codes == CODES
        assert app.query_one(ScanInput).value == ""


async def test_typed_code_by_hand():
    app = ScanApp()
    async with app.run_test() as pilot:
        await pilot.press(*"2*3760000000017", "enter")
        assert app.codes == ["2*3760000000017"]


async def test_burst_helper_reproduces_textual_6605_on_a_stock_input():
    """Proof that ``burst`` makes real bursts: a stock Input merges the codes.

    If this fails after a Textual upgrade, #6605 may be fixed upstream (PR #6631); ScanInput
    still works either way, and this test can then go.
    """
    app = StockInputApp()
    async with app.run_test() as pilot:
        burst(app, *CODES[:3])
        await pilot.pause()
    assert app.codes != CODES[:3]
