"""Terminal charts: block characters and base colours only, integer scaling, nothing cut."""

from __future__ import annotations

from rich.console import Console

from till.ui.widgets.charts import AXIS, BAR, BLOCKS, COLOURS, NEGATIVE, bars, sparkline


def test_sparkline_scales_to_the_largest_and_keeps_small_values_visible():
    assert sparkline([0, 1, 4, 8]).plain == " ▁▄█"
    assert sparkline([]).plain == "" and sparkline([0, 0]).plain == "  "
    assert set(sparkline(range(100)).plain) <= set(BLOCKS)


def test_a_negative_day_in_the_sparkline_is_as_high_as_its_size_and_red():
    line = sparkline([-5, 10])
    assert line.plain == "▄█"  # half the largest, not zero: a refund day is not drawn as a quiet day
    negative, positive = (line.get_style_at_offset(Console(), index) for index in (0, 1))
    assert negative.color.name == NEGATIVE and positive.color.name != NEGATIVE


def test_bars_fill_the_width_with_the_largest_and_never_overflow():
    chart = bars([("Wrong size", 1200), ("Defective", 300), ("Other", 1)], width=40,
                 shown=lambda cents: f"{cents / 100:.2f}".replace(".", ","))
    lines = chart.plain.split("\n")
    assert len(lines) == 3 and all(len(line) == 40 for line in lines)
    assert lines[0].count(BAR) > lines[1].count(BAR) > 0 and lines[2].count(BAR) == 1
    assert lines[0].endswith("12,00") and lines[2].endswith(" 0,01")
    styles = {span.style for span in chart.spans}
    assert styles <= set(COLOURS) | {"red"}  # base ANSI colours only: 16-colour terminals
    refund = bars([("Card", -500), ("Cash", 250)], width=30)
    assert refund.spans[0].style == "red"
    assert bars([], width=30).plain == ""


def test_a_negative_value_is_drawn_left_of_the_axis_never_like_a_positive_one():
    chart = bars([("01/12", 1200), ("02/12", -600), ("03/12", 300)], width=42, shown=str)
    lines = chart.plain.split("\n")
    assert len(lines) == 3 and all(len(line) == 42 for line in lines)
    axis = {line.index(AXIS) for line in lines}
    assert len(axis) == 1  # one axis, at the same column on every line
    [at] = axis
    sold, returned, little = lines
    # positives start right of the axis, the negative ends right at its left
    assert sold[at + 1] == BAR and BAR not in sold[:at]
    assert returned[at - 1] == BAR and BAR not in returned[at:]
    assert little[at + 1] == BAR and BAR not in little[:at]
    # one scale on both sides: 600 is half of 1200, 300 a quarter
    assert returned.count(BAR) * 2 == sold.count(BAR) and little.count(BAR) * 4 == sold.count(BAR)
    negative = [span for span in chart.spans if chart.plain[span.start:span.end].strip(BAR) == ""
                and span.start > len(sold) and span.end <= len(sold) + 1 + len(returned)]
    assert [span.style for span in negative] == ["red"]


def test_without_negatives_there_is_no_axis():
    assert AXIS not in bars([("a", 5), ("b", 10)], width=30).plain
