"""Landing dashboards per role: KPI cards and server-rendered SVG charts on the admin index.

Each app registers its panels beside its admin (``@panel(role)``), so this module imports
no app: the admin's autodiscovery loads them. A panel is a function of the request that
returns a :class:`Panel`; the numbers come from that app's selectors, the same reads the
services and statements use. A superuser sees every role's panels.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from agency.roles import ROLES, has_role


@dataclass
class Card:
    label: str
    value: str
    note: str = ""
    url: str = ""
    alert: bool = False  # shown in the error colour: something needs a person now
    items: list[str] = field(default_factory=list)  # a short list under the note


@dataclass
class Panel:
    title: str
    cards: list[Card] = field(default_factory=list)
    charts: list[SafeString] = field(default_factory=list)


_PANELS: dict[str, list[Callable[[HttpRequest], Panel]]] = {role: [] for role in ROLES}


def panel(role: str) -> Callable:
    """Register a panel function for ``role``'s landing page."""

    def register(func: Callable[[HttpRequest], Panel]) -> Callable[[HttpRequest], Panel]:
        _PANELS[role].append(func)
        return func

    return register


def dashboard_for(request: HttpRequest) -> list[Panel]:
    user = request.user
    roles = [r for r in ROLES if user.is_superuser or has_role(user, r)]
    return [func(request) for role in roles for func in _PANELS[role]]


COLOURS = ["#2f6fdf", "#2a9d50", "#d9822b", "#8e44ad", "#c0392b", "#16a085"]


def _nice_max(value: Decimal) -> Decimal:
    """The axis end: 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def bar_chart(
    *,
    title: str,
    unit: str,
    bars: list[tuple[str, Decimal | int]],
    legend: str,
    width: int = 560,
    colour: str = COLOURS[0],
) -> SafeString:
    """Horizontal bars on a value axis from zero with five ticks, the unit under the axis
    and a legend. Every bar shares one unit, so mixed currencies are separate charts."""
    if not bars:
        return format_html('<p class="chart-empty">{}: nothing to show yet.</p>', title)
    label_w, row_h, top = 150, 24, 28
    plot_w = width - label_w - 70
    top_value = _nice_max(max(Decimal(v) for _, v in bars))
    height = top + row_h * len(bars) + 60
    axis_y = top + row_h * len(bars) + 4

    def x(value) -> str:
        return f"{label_w + float(Decimal(value) / top_value) * plot_w:.1f}"

    rows = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>'
        '<text x="{}" y="{}" font-size="11">{}</text>',
        (
            (
                label_w - 6, top + i * row_h + 15, label,
                label_w, top + i * row_h + 4, f"{max(float(x(v)) - label_w, 1):.1f}",
                row_h - 8, colour, label, f"{Decimal(v):,}", unit,
                f"{float(x(v)) + 4:.1f}", top + i * row_h + 15, f"{Decimal(v):,}",
            )
            for i, (label, v) in enumerate(bars)
        ),
    )  # fmt: skip
    ticks = format_html_join(
        "",
        '<line x1="{x}" y1="{y}" x2="{x}" y2="{y2}" stroke="#999"/>'
        '<text x="{x}" y="{ty}" text-anchor="middle" font-size="11">{label}</text>',
        (
            {"x": x(top_value * k / 4), "y": axis_y, "y2": axis_y + 5, "ty": axis_y + 18,
             "label": f"{(top_value * k / 4).normalize():,f}"}
            for k in range(5)
        ),
    )  # fmt: skip
    return format_html(
        '<figure class="dashboard-chart"><svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
        'height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        '<text x="0" y="16" font-size="13" font-weight="bold">{title}</text>{rows}'
        '<line x1="{lw}" y1="{ay}" x2="{end}" y2="{ay}" stroke="#666"/>'
        '<line x1="{lw}" y1="{top}" x2="{lw}" y2="{ay}" stroke="#666"/>{ticks}'
        '<text x="{mid}" y="{uy}" text-anchor="middle" font-size="11">{unit}</text>'
        '<rect x="{lx}" y="4" width="10" height="10" fill="{colour}"/>'
        '<text x="{ltx}" y="13" font-size="11">{legend}</text></svg></figure>',
        w=width, h=height, title=title, rows=rows, lw=label_w, ay=axis_y,
        end=label_w + plot_w, top=top, ticks=ticks, mid=label_w + plot_w / 2,
        uy=axis_y + 36, unit=unit, lx=width - 200, ltx=width - 186, legend=legend,
        colour=colour,
    )  # fmt: skip


def line_chart(
    *,
    title: str,
    unit: str,
    points: list[tuple[str, int | Decimal]],
    legend: str,
    width: int = 600,
    height: int = 170,
    colour: str = COLOURS[0],
) -> SafeString:
    """A line over dated points on axes from zero: value ticks with thousands separators and
    the unit on the left, the first, middle and last dates below, and a legend."""
    if len(points) < 2:
        return format_html('<p class="chart-empty">{}: not enough data yet.</p>', title)
    left, top, right, bottom = 70, 24, 10, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(Decimal(v) for _, v in points))
    step = plot_w / (len(points) - 1)

    def y(value) -> float:
        return top + plot_h - float(Decimal(value) / top_value) * plot_h

    line = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    ticks = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text>',
        (
            (left, f"{y(top_value * k / 4):.1f}", left + plot_w, f"{y(top_value * k / 4):.1f}",
             left - 4, f"{y(top_value * k / 4) + 3:.1f}", f"{(top_value * k / 4).normalize():,f}")
            for k in range(5)
        ),
    )  # fmt: skip
    middle = len(points) // 2
    dates = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" font-size="10">{}</text>',
        (
            (f"{left + i * step:.1f}", top + plot_h + 14, anchor, points[i][0])
            for i, anchor in ((0, "start"), (middle, "middle"), (len(points) - 1, "end"))
        ),
    )
    return format_html(
        '<figure class="dashboard-chart"><svg xmlns="http://www.w3.org/2000/svg" width="{w}" '
        'height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        '<text x="0" y="14" font-size="12" font-weight="bold">{title}</text>{ticks}'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#666"/>'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#666"/>'
        '<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{line}"/>{dates}'
        '<text x="12" y="{mid}" font-size="10" transform="rotate(-90 12 {mid})" '
        'text-anchor="middle">{unit}</text>'
        '<rect x="{lx}" y="4" width="10" height="10" fill="{colour}"/>'
        '<text x="{ltx}" y="13" font-size="11">{legend}</text></svg></figure>',
        w=width, h=height, title=title, ticks=ticks, l=left, t=top, b=top + plot_h,
        r=left + plot_w, colour=colour, line=line, dates=dates, mid=top + plot_h / 2,
        unit=unit, lx=width - 170, ltx=width - 156, legend=legend,
    )  # fmt: skip
