"""Charts drawn on the server as SVG: values over valid time, and sparklines for KPI tiles.

Values stay Decimal up to here; only pixel positions are floats. Every chart carries a
<title> and a <desc> in words, and each point a <title> with its date and value, so a screen
reader (or a test) can read what the picture shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 760, 300
TOP, BOTTOM, RIGHT = 22, 32, 16


@dataclass(frozen=True)
class ChartPoint:
    """One value for a business date; ``original`` when a correction changed it."""

    on: date
    value: Decimal
    label: str
    original: Decimal | None = None


@dataclass(frozen=True)
class ChartLine:
    """A reference line from one (date, value) to another: pace, target, original target."""

    start: tuple[date, Decimal]
    end: tuple[date, Decimal]
    css: str


@dataclass(frozen=True)
class Chart:
    """What a line chart shows, and how its axes speak."""

    title: str
    description: str
    window: tuple[date, date]
    points: Sequence[ChartPoint]
    y_labels: Callable[[Sequence[Decimal]], Sequence[str]]
    """The words of the value axis's ticks, all given at once (to say them in one form)."""
    x_label: Callable[[date], str]
    lines: Sequence[ChartLine] = field(default_factory=tuple)
    today: date | None = None
    today_label: str = "today"
    ident: str = "chart"


def nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) cutting ``span`` in about ``ticks``."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(10) ** (raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def y_ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Round values from below ``low`` to above ``high``."""
    step = nice_step(high - low)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks = [first]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def x_ticks(start: date, end: date, most: int = 6) -> list[date]:
    """Dates for the time axis: month starts over long windows, whole weeks over short ones."""
    days = (end - start).days
    if days > 100:
        months = []
        day = date(start.year, start.month, 1)
        while day <= end:
            if day >= start:
                months.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        every = max(1, -(-len(months) // most))
        return months[::every]
    step = max(1, -(-days // most))
    if days > 21:
        step = 7 * max(1, -(-step // 7))
    return [start + timedelta(days=i) for i in range(0, days + 1, step)]


class _Frame:
    """Pixel positions of dates and values inside the plot area."""

    def __init__(self, chart: Chart, left: float) -> None:
        values = [p.value for p in chart.points]  # values in force: a mistyped one that
        # was corrected does not set the scale (it flattened the series it stood beside)
        values += [v for line in chart.lines for v in (line.start[1], line.end[1])]
        low, high = (min(values), max(values)) if values else (Decimal(0), Decimal(1))
        negative = low < 0  # none below 0 (zero incidents): no axis below 0 either
        if low == high:
            low, high = low - 1, high + 1
        pad = (high - low) * Decimal("0.08")
        floor = low - pad if negative else max(low - pad, Decimal(0))
        self.ticks = y_ticks(floor, high + pad)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        dates = [p.on for p in chart.points] + [chart.window[0], chart.window[1]]
        self.start, self.end = min(dates), max(dates)
        if self.start == self.end:
            self.end = self.start + timedelta(days=1)
        self.left = left

    def x(self, day: date) -> float:
        share = (day - self.start).days / (self.end - self.start).days
        return round(self.left + share * (WIDTH - RIGHT - self.left), 1)

    def y(self, value: Decimal) -> float:
        share = float((value - self.low) / (self.high - self.low))
        return round(HEIGHT - BOTTOM - share * (HEIGHT - BOTTOM - TOP), 1)


def line_chart(chart: Chart) -> Markup:
    """An SVG chart of a key result's values, its reference lines and today's date."""
    labels = chart.y_labels(_frame_ticks(chart))
    left = 14 + 7.8 * max((len(label) for label in labels), default=3)
    frame = _Frame(chart, left)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart.ident}-title {chart.ident}-desc"'
        ' preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart.ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.ident}-desc">{escape(chart.description)}</desc>',
        *_grid(chart, frame),
        *(_line(frame, line) for line in chart.lines),
        *_today(chart, frame),
        *_series(chart, frame),
        *_y_axis(frame, labels),
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _frame_ticks(chart: Chart) -> list[Decimal]:
    return _Frame(chart, 0).ticks


def _grid(chart: Chart, frame: _Frame) -> list[str]:
    out = ['<g class="grid">']
    for tick in frame.ticks:
        y = frame.y(tick)
        out.append(f'<line x1="{frame.left}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}"/>')
    for day in x_ticks(frame.start, frame.end):
        x = frame.x(day)
        anchor = "end" if x > WIDTH - _LABEL_ROOM else "middle"  # "30 No" of "30 Nov" was cut
        out.append(
            f'<text class="x-label" x="{x}" y="{HEIGHT - 10}" text-anchor="{anchor}">'
            f"{escape(chart.x_label(day))}</text>"
        )
    out.append("</g>")
    return out


def _y_axis(frame: _Frame, labels: Sequence[str]) -> list[str]:
    """The value axis's words over a background of their own, drawn last: a chart scrolled
    sideways on a phone keeps them in view (portal.js moves them), over the lines."""
    out = [
        '<g class="y-axis">',
        f'<rect class="y-axis-bg" x="0" y="0" width="{frame.left - _AXIS_GAP}"'
        f' height="{HEIGHT - BOTTOM + _AXIS_GAP}"/>',  # not over the dates below the plot
    ]
    for tick, label in zip(frame.ticks, labels, strict=True):
        out.append(
            f'<text class="y-label" x="{frame.left - 6}" y="{frame.y(tick) + 4}"'
            f' text-anchor="end">{escape(label)}</text>'
        )
    out.append("</g>")
    return out


_AXIS_GAP = 6
"""Room between the axis's background and the plot: a point on the window's first day
(radius 5.5) is not covered by it."""


def _line(frame: _Frame, line: ChartLine) -> str:
    (d1, v1), (d2, v2) = line.start, line.end
    return (
        f'<line class="{line.css}" x1="{frame.x(d1)}" y1="{frame.y(v1)}"'
        f' x2="{frame.x(d2)}" y2="{frame.y(v2)}"/>'
    )


def _today(chart: Chart, frame: _Frame) -> list[str]:
    if chart.today is None or not frame.start <= chart.today <= frame.end:
        return []
    x = frame.x(chart.today)
    anchor = "end" if x > WIDTH - _LABEL_ROOM else "start" if x < _LABEL_ROOM else "middle"
    return [
        f'<line class="today" x1="{x}" y1="{TOP}" x2="{x}" y2="{HEIGHT - BOTTOM}"/>',
        f'<text class="today-label" x="{x}" y="{TOP - 5}" text-anchor="{anchor}">'
        f"{escape(chart.today_label)}</text>",
    ]


_LABEL_ROOM = 40
"""How near an edge today's label stops being centred on its line (it ran past the right
edge when today was the chart's last day, as on a KPI's)."""


def _series(chart: Chart, frame: _Frame) -> list[str]:
    points = sorted(chart.points, key=lambda p: p.on)
    if not points:
        return []
    coords = " ".join(f"{frame.x(p.on)},{frame.y(p.value)}" for p in points)
    out = [f'<polyline class="values" points="{coords}"/>']
    for p in points:  # a corrected value, where it falls within the scale
        if (
            p.original is not None
            and p.original != p.value
            and frame.low <= p.original <= frame.high
        ):
            out.append(
                f'<circle class="point-original" cx="{frame.x(p.on)}" cy="{frame.y(p.original)}"'
                ' r="4"/>'
            )
    for index, p in enumerate(points):
        radius = 5.5 if index == len(points) - 1 else 4
        out.append(
            f'<circle class="point" cx="{frame.x(p.on)}" cy="{frame.y(p.value)}" r="{radius}"'
            f' data-on="{p.on.isoformat()}" data-value="{p.value}">'
            f"<title>{escape(p.label)}</title></circle>"
        )
    return out


def sparkline(values: Sequence[Decimal], *, css: str, label: str) -> Markup:
    """A small trend line of a KPI's values (oldest first), its last value marked."""
    width, height, pad = 120, 32, 3
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    coords = [
        (
            round(pad + i * step, 1),
            round(height - pad - float((v - low) / span) * (height - 2 * pad), 1),
        )
        for i, v in enumerate(values)
    ]
    if len(coords) == 1:
        coords = [(pad, coords[0][1]), (width - pad, coords[0][1])]
    line = " ".join(f"{x},{y}" for x, y in coords)
    x, y = coords[-1]
    return Markup(  # noqa: S704 - the label went through escape(), the rest are numbers
        f'<svg class="sparkline {escape(css)}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="{escape(label)}"><polyline points="{line}"/>'
        f'<circle cx="{x}" cy="{y}" r="2.5"/></svg>'
    )
