"""The small chart of matches over time on the result page: bars computed here, drawn as inline SVG
by the template (no script, no chart framework)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Bar", "Timeline", "timeline"]

WIDTH = 100  # per cent of the chart's width: the bars stretch with the page, the text does not
HEIGHT = 120
BASELINE = 100  # bars stand on this line; labels go below it
MAX_MONTH_BARS = 60  # above five years of months, the chart counts years instead


@dataclass(slots=True, frozen=True)
class Bar:
    """One bar: its period (``2020`` or ``2020-06``), count and geometry (``x`` and ``width`` in
    per cent of the chart's width, ``y`` and ``height`` in pixels)."""

    period: str
    count: int
    x: float
    y: float
    width: float
    height: float
    label: str = ""  # the period to name under the bar, when it has a label


@dataclass(slots=True)
class Timeline:
    """Bars of one chart, by ``unit`` ("month" or "year")."""

    unit: str
    bars: list[Bar] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE
    peak: int = 0


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def timeline(months: dict[str, int], years: dict[str, int]) -> Timeline | None:
    """A bar per month between the first and the last month with matches (empty months included),
    or a bar per year when that would be more than ``MAX_MONTH_BARS`` bars; None without dates."""
    if not months:
        return None
    periods = _months_between(min(months), max(months))
    unit, counts = "month", months
    if len(periods) > MAX_MONTH_BARS:
        first, last = int(min(years)), int(max(years))
        periods = [f"{y:04d}" for y in range(first, last + 1)]
        unit, counts = "year", years
    peak = max(counts.values())
    slot = WIDTH / len(periods)
    gap = min(2.0, slot * 0.2)
    chart = Timeline(unit=unit, peak=peak)
    label_every = max(1, round(len(periods) / 8))
    for i, period in enumerate(periods):
        count = counts.get(period, 0)
        height = (BASELINE - 8) * count / peak if peak else 0.0
        if count and height < 1.5:
            height = 1.5  # a month with one match among thousands stays visible
        if unit == "year":
            label = period if i % label_every == 0 or i == len(periods) - 1 else ""
        elif len(periods) <= 12:  # a short range: every month, the first and each January with its year
            label = period
        else:  # a long range: each January and the first month
            label = period if period.endswith("-01") or i == 0 else ""
        chart.bars.append(Bar(period, count, round(i * slot + gap / 2, 2), round(BASELINE - height, 2),
                              round(slot - gap, 2), round(height, 2), label))
    return chart
