"""Charts as SVG, drawn on the server: no script, no chart library, nothing to load.

Each chart is an `<svg role="img">` with a title and a description a screen reader reads, and
sits next to a table with the same figures.  Series differ in colour *and* in line or fill
pattern (WCAG 1.4.1); colours have at least 3:1 contrast on white (WCAG 1.4.11).  Styling is
by class names (ui.css), so the Content-Security-Policy needs no inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

from app.ui import format as fmt

_ids = count(1)


@dataclass(frozen=True)
class Series:
    """A named line or bar series; `css` picks its colour and pattern (s1, s2, ...)."""

    name: str
    values: Sequence[int]
    css: str


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 100
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 * magnitude


def _head(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    tid, did = f"chart-t{n}", f"chart-d{n}"
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{tid} {did}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>',
        "</svg>",
    )


def line_chart(
    months: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    limit: int | None = None,
    limit_label: str = "Plafond",
    marker: tuple[float, str] | None = None,
) -> Markup:
    """Cumulative lines over the months of a year, a horizontal limit and a dated marker
    (`marker`: position in months from the start of the first, and its label)."""
    width, height = 680, 300
    left, right, top, bottom = 78, 16, 16, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max([limit or 0, *(v for s in series for v in s.values)])
    y_max = _nice_max(int(highest * 1.08))
    n = max(len(months), 1)

    def x(i: float) -> float:
        return left + plot_w * i / n

    def y(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    head, tail = _head(width, height, title, desc)
    parts = [head]
    for k in range(5):
        value = y_max * k // 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="axis" x="{left - 8}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(fmt.euro_short(value))}</text>'
        )
    for i, m in enumerate(months):
        parts.append(
            f'<text class="axis" x="{x(i + 0.5):.1f}" y="{height - bottom + 18}" '
            f'text-anchor="middle">{escape(fmt.month(m).split()[0])}</text>'
        )
    if limit is not None:
        parts.append(
            f'<line class="limit" x1="{left}" x2="{width - right}" y1="{y(limit):.1f}" '
            f'y2="{y(limit):.1f}"/><text class="limit-label" x="{width - right - 4}" '
            f'y="{y(limit) - 6:.1f}" text-anchor="end">{escape(limit_label)} '
            f"{escape(fmt.euro_short(limit))}</text>"
        )
    for s in series:
        # a cumulative value is reached at the end of its month
        points = " ".join(f"{x(i + 1):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        parts.append(f'<polyline class="line {s.css}" points="{x(0):.1f},{y(0):.1f} {points}"/>')
        for i, v in enumerate(s.values):
            parts.append(f'<circle class="dot {s.css}" cx="{x(i + 1):.1f}" cy="{y(v):.1f}" r="3"/>')
    if marker is not None:
        pos, label = marker
        mx = x(min(max(pos, 0.0), float(n)))
        anchor = "end" if pos > n * 0.7 else "start"
        dx = -6 if anchor == "end" else 6
        parts.append(
            f'<line class="marker" x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" '
            f'y2="{top + plot_h}"/><text class="marker-label" x="{mx + dx:.1f}" y="{top + 14}" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    legend_y = height - 12
    lx = left
    for s in series:
        parts.append(
            f'<line class="line {s.css}" x1="{lx}" x2="{lx + 24}" y1="{legend_y - 4}" '
            f'y2="{legend_y - 4}"/><text class="legend" x="{lx + 30}" y="{legend_y}">'
            f"{escape(s.name)}</text>"
        )
        lx += 40 + 8 * len(s.name)
    if limit is not None:
        parts.append(
            f'<line class="limit" x1="{lx}" x2="{lx + 24}" y1="{legend_y - 4}" '
            f'y2="{legend_y - 4}"/><text class="legend" x="{lx + 30}" y="{legend_y}">'
            f"{escape(limit_label)}</text>"
        )
    parts.append(
        f'<line class="axis-line" x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}"/>'
        f'<line class="axis-line" x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/>'
    )
    parts.append(tail)
    return Markup("".join(parts))


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    money: bool = True,
) -> Markup:
    """Horizontal grouped bars: one group per label, one bar per series (long labels fit);
    values are cents unless `money` is False (counts)."""
    show = fmt.euro_short if money else fmt.thousands
    per_group = max(len(series), 1)
    bar, gap = 14, 12
    left, right, top = 230, 90, 12
    width = 680
    plot_w = width - left - right
    height = top + len(labels) * (per_group * bar + gap) + 52
    y_max = _nice_max(max([v for s in series for v in s.values] or [0]))
    head, tail = _head(width, height, title, desc)
    parts = [head]
    for k in range(5):
        value = y_max * k // 4
        gx = left + plot_w * value / y_max
        parts.append(
            f'<line class="grid" x1="{gx:.1f}" x2="{gx:.1f}" y1="{top}" '
            f'y2="{height - 46}"/><text class="axis" x="{gx:.1f}" y="{height - 30}" '
            f'text-anchor="middle">{escape(show(value))}</text>'
        )
    for g, label in enumerate(labels):
        gy = top + g * (per_group * bar + gap)
        text = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text class="axis" x="{left - 8}" y="{gy + per_group * bar / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(text)}</text>'
        )
        for k, s in enumerate(series):
            value = s.values[g]
            w = plot_w * max(value, 0) / y_max
            by = gy + k * bar
            parts.append(
                f'<rect class="bar {s.css}" x="{left}" y="{by}" width="{w:.1f}" '
                f'height="{bar - 2}"/><text class="value" x="{left + w + 4:.1f}" '
                f'y="{by + bar - 4}">{escape(show(value))}</text>'
            )
    lx = left
    for s in series:
        parts.append(
            f'<rect class="bar {s.css}" x="{lx}" y="{height - 14}" width="14" height="10"/>'
            f'<text class="legend" x="{lx + 20}" y="{height - 5}">{escape(s.name)}</text>'
        )
        lx += 40 + 8 * len(s.name)
    parts.append(tail)
    return Markup("".join(parts))
