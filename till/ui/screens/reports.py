"""The manager's reports screen (F6 on the closures screen): every analytic report, with a chart.

A thin layer over ``reports.registry``: the same reports, groupings and periods as
``till report NAME``. F2 / F3 choose the report and its grouping, F4 the period (today, the last
7 days, this month, the last 30 days, this year); the table is ``reports.render``'s, and its
first money column (else its first count) is drawn as bars, with a sparkline when the report is
grouped by day. Reading only: nothing here writes.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from reports.labels import grouping, title
from reports.registry import REPORTS, run
from reports.render import cell_text, render
from till.shop.context import TillContext
from till.fiscal.closure_totals import business_today
from till.i18n import _, language, translate_plural
from till.money import shown
from till.ui.feedback import guarded, translate_bindings
from till.ui.widgets.charts import bars, sparkline
from till.ui.widgets.status_line import HasStatus, StatusLine
from till.ui.widgets.key_footer import KeyFooter

PERIODS = ("today", "7 days", "this month", "30 days", "this year")
"""The periods F4 goes through, in this order."""


def period_days(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last business day of the period ``name`` ending ``today``."""
    if name == "today":
        return today, today
    if name == "7 days":
        return today - dt.timedelta(days=6), today
    if name == "this month":
        return today.replace(day=1), today
    if name == "30 days":
        return today - dt.timedelta(days=29), today
    return today.replace(month=1, day=1), today


def chart_column(table) -> int | None:
    """The column the bars show: the first amount, else the first count (None: nothing to draw)."""
    for kinds in (("cents",), ("int",)):
        for index, column in enumerate(table.columns[1:], start=1):
            if column.kind in kinds:
                return index
    return None


class ReportsScreen(HasStatus, Screen[None]):
    """One report at a time: its table, its bars, its sparkline."""

    BINDINGS = [
        Binding("f2", "next_report", "Report", id="reports-next", key_display="F2"),
        Binding("f3", "next_grouping", "By", id="reports-by", key_display="F3"),
        Binding("f4", "next_period", "Period", id="reports-period", key_display="F4"),
        Binding("escape", "leave", "Back", id="reports-back", key_display="Esc"),
        Binding("up", "scroll(-1)", "Up", show=False, id="reports-up"),
        Binding("down", "scroll(1)", "Down", show=False, id="reports-down"),
    ]

    def __init__(self, ctx: TillContext) -> None:
        super().__init__()
        translate_bindings(self)
        self.ctx = ctx
        self.names = list(REPORTS)
        self.report = self.names[0]
        self.by = REPORTS[self.report].by[0]
        self.period = PERIODS[1]

    def compose(self) -> ComposeResult:
        yield Static("", id="reports-title", markup=False)
        with VerticalScroll(id="reports-scroll"):
            yield Static("", id="reports-table", markup=False)
            yield Static("", id="reports-chart")
        yield StatusLine(id="reports-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_report()

    @guarded
    def show_report(self) -> None:
        zone = self.ctx.sealer.zone
        first, last = period_days(self.period, business_today(zone))
        table = run(self.report, first, last, self.by, zone=zone)
        # One translated sentence around whole translated phrases ("Ventes" "par jour"): the
        # words around a grouping change with the language, so none is glued here.
        heading = _("{report} {grouping}, {first} to {last}", report=title(self.report), grouping=grouping(self.by),
                    first=first.strftime("%d/%m/%Y"), last=last.strftime("%d/%m/%Y"))
        self.query_one("#reports-title", Static).update(Text(heading, style="bold"))
        self.query_one("#reports-table", Static).update(render(table, "table", language()))
        self.query_one("#reports-chart", Static).update(self._chart(table))
        self.show_info(translate_plural("{count} row. F2: report, F3: grouping, F4: period",
                                        "{count} rows. F2: report, F3: grouping, F4: period", len(table.rows)))

    def _chart(self, table) -> Text:
        index = chart_column(table)
        if index is None or not table.rows:
            return Text("")
        kind = table.columns[index].kind
        first = table.columns[0]
        values = [(cell_text(row[0], first.kind, language(), first.name), int(row[index] or 0))
                  for row in table.rows]
        chart = Text("\n")
        chart.append(bars(values[:20], width=max(30, self.size.width - 2),
                          shown=shown if kind == "cents" else str))
        if self.by == "day" and len(values) > 1:
            chart.append("\n\n")
            chart.append_text(sparkline(value for _label, value in values))
        return chart

    def action_next_report(self) -> None:
        self.report = self.names[(self.names.index(self.report) + 1) % len(self.names)]
        self.by = REPORTS[self.report].by[0]
        self.show_report()

    def action_next_grouping(self) -> None:
        fields = REPORTS[self.report].by
        self.by = fields[(fields.index(self.by) + 1) % len(fields)]
        self.show_report()

    def action_next_period(self) -> None:
        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.show_report()

    def action_scroll(self, step: int) -> None:
        self.query_one("#reports-scroll", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_leave(self) -> None:
        self.dismiss(None)
