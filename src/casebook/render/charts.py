"""The report's three charts, drawn with matplotlib: SVG for HTML and PDF, PNG for Word.

matplotlib is used through its object API (no pyplot, no global backend switch) with the
DejaVu fonts it ships and a fixed SVG hash salt, so a chart looks and serialises the same on
every machine whatever fonts the system has. The HTML's SVG has its text as paths (no font
needed to view it); the PDF's keeps text as text, which WeasyPrint sets in the same DejaVu
files (see pdf.py) — vector, searchable, and several times cheaper to lay out than glyph paths.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from casebook.models import Submission, UseCase
from casebook.render.template import ReportTemplate
from casebook.roadmap import HORIZONS

_SPANS = {"0-6 months": (0, 6), "6-12 months": (6, 6), "12-24 months": (12, 12)}
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "path",
    "svg.hashsalt": "casebook",
    "axes.edgecolor": "#9aa5b1",
    "axes.labelcolor": "#333333",
    "xtick.color": "#555555",
    "ytick.color": "#555555",
}
_GREY = "#e4e8ec"
# Centre-to-centre distance of two bubbles in one cell, in data units: the matrix spans 5.2 units
# over about 4.6 inches (~64 pt a unit) and the largest bubble (690 pt², 3+ sharing: 414 pt²) is
# ~30 pt (~23 pt) across, so 0.5 units keeps them apart.
_TEXT = "#222222"
BUBBLE_GAP = 0.5
PNG_DPI = 160
_RC_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings: one render at a time


@dataclass(frozen=True)
class Chart:
    key: str  # gauge, matrix or timeline
    caption: str
    alt: str
    svg: bytes | None  # text as paths: for HTML
    svg_text: bytes | None  # text as text: for the PDF
    png: bytes | None  # for Word
    width_in: float  # width on the page, in inches


def make_charts(
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    primary: str,
    accent: str,
    *,
    svg: bool = True,
    svg_text: bool = True,
    png: bool = True,
) -> dict[str, Chart]:
    """The gauge always; the matrix and the timeline when there are use cases."""
    import matplotlib

    charts: dict[str, Chart] = {}
    with _RC_LOCK, matplotlib.rc_context(cast(Any, _STYLE)):
        drawers: list[tuple[str, Any, float]] = [("gauge", _gauge, 3.0)]
        if use_cases:
            drawers += [("matrix", _matrix, 6.0), ("timeline", _timeline, 6.4)]
        for key, draw, width in drawers:
            fig, alt = draw(use_cases, submission, template, primary, accent)
            charts[key] = Chart(
                key=key,
                caption=template.label(f"{key}_caption"),
                alt=alt,
                svg=_save(fig, "svg") if svg else None,
                svg_text=_save(fig, "svg", text=True) if svg_text else None,
                png=_save(fig, "png") if png else None,
                width_in=width,
            )
    return charts


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig: Any, fmt: str, *, text: bool = False) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.fonttype": "none" if text else "path"}):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata, facecolor="white")
    return buf.getvalue()


def _gauge(
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    primary: str,
    accent: str,
) -> tuple[Any, str]:
    from matplotlib.patches import Wedge

    score = submission.readiness_score
    category = submission.readiness_category or template.label("not_given")
    fig = _figure(3.6, 2.3)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-0.5, 1.08)
    ax.add_patch(Wedge((0, 0), 1.0, 0, 180, width=0.26, facecolor=_GREY, edgecolor="none"))
    if score is not None:
        start = 180 - 180 * max(0.0, min(100.0, score)) / 100
        ax.add_patch(
            Wedge((0, 0), 1.0, start, 180, width=0.26, facecolor=primary, edgecolor="none")
        )
    for value, x in ((0, -0.87), (50, 0.0), (100, 0.87)):
        ax.text(
            x,
            -0.1 if value != 50 else 1.04,
            str(value),
            ha="center",
            va="center",
            fontsize=7,
            color="#666666",
        )
    shown = f"{score:g}" if score is not None else "–"
    ax.text(0, 0.2, shown, ha="center", va="center", fontsize=24, fontweight="bold", color=_TEXT)
    ax.text(0, -0.02, "/ 100", ha="center", va="center", fontsize=8, color="#666666")
    ax.text(
        0,
        -0.34,
        _short(category, 34),
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        color=accent,
    )
    label = template.label
    alt = f"{label('readiness_score')}: {shown}/100, {label('category')}: {category}"
    return fig, alt


def _matrix(
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    primary: str,
    accent: str,
) -> tuple[Any, str]:
    fig = _figure(6.0, 4.4)
    ax = fig.add_subplot()
    ax.set_xlim(0.4, 5.6)
    ax.set_ylim(0.4, 5.6)
    ax.set_xticks(range(1, 6))
    ax.set_yticks(range(1, 6))
    ax.set_xlabel(template.label("effort"))
    ax.set_ylabel(template.label("impact"))
    ax.axvline(3, color="#b8c2cc", linewidth=0.8, linestyle="--", zorder=1)
    ax.axhline(3, color="#b8c2cc", linewidth=0.8, linestyle="--", zorder=1)
    for x, y, key, ha, va in (
        (0.5, 5.5, "quick_wins", "left", "top"),
        (5.5, 5.5, "major_projects", "right", "top"),
        (0.5, 0.5, "fill_ins", "left", "bottom"),
        (5.5, 0.5, "deprioritise", "right", "bottom"),
    ):
        ax.text(
            x, y, template.label(key), ha=ha, va=va, fontsize=8, color="#8a96a3", style="italic"
        )
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, uc in enumerate(use_cases, start=1):
        groups[(uc.effort, uc.impact)].append(i)
    for (effort, impact), numbers in groups.items():
        for (dx, dy), number in zip(_spread(len(numbers)), numbers, strict=True):
            uc = use_cases[number - 1]
            colour = accent if uc.impact > 3 and uc.effort < 3 else primary
            ax.scatter(
                effort + dx,
                impact + dy,
                s=_bubble_area(uc.value, len(numbers)),
                color=colour,
                alpha=0.85,
                edgecolors="white",
                linewidths=1.2,
                zorder=3,
            )
            ax.text(
                effort + dx,
                impact + dy,
                str(number),
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                color="white",
                zorder=4,
            )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    alt = "; ".join(
        f"{i}. {uc.title}: {template.label('impact')} {uc.impact}, {template.label('effort')} "
        f"{uc.effort}, {template.label('value')} {uc.value}"
        for i, uc in enumerate(use_cases, start=1)
    )
    return fig, alt


def _spread(count: int) -> list[tuple[float, float]]:
    """Offsets that keep bubbles sharing a cell apart: on a ring whose neighbouring points are
    BUBBLE_GAP apart (a little more than the largest bubble's diameter at the chart's scale, so
    no two bubbles of a cell overlap), starting at the top."""
    if count == 1:
        return [(0.0, 0.0)]
    import math

    radius = BUBBLE_GAP / (2 * math.sin(math.pi / count))
    return [
        (
            radius * math.cos(2 * math.pi * k / count + math.pi / 2),
            radius * math.sin(2 * math.pi * k / count + math.pi / 2),
        )
        for k in range(count)
    ]


def _bubble_area(value: int, sharing: int) -> float:
    """Marker area in points²: larger for more value, smaller when several share a cell."""
    return (140 + 110 * value) * (1.0 if sharing <= 2 else 0.6)


def _timeline(
    use_cases: list[UseCase],
    submission: Submission,
    template: ReportTemplate,
    primary: str,
    accent: str,
) -> tuple[Any, str]:
    ordered = sorted(
        enumerate(use_cases, start=1), key=lambda p: (HORIZONS.index(p[1].horizon), p[0])
    )
    fig = _figure(6.4, 1.3 + 0.32 * len(ordered))
    ax = fig.add_subplot()
    colours = {HORIZONS[0]: accent, HORIZONS[1]: primary, HORIZONS[2]: _mix(primary, 0.45)}
    for phase, horizon in enumerate(HORIZONS, start=1):
        start, width = _SPANS[horizon]
        if phase % 2:
            ax.axvspan(start, start + width, color="#f3f5f7", zorder=0)
        ax.text(
            start + width / 2,
            -0.75,
            f"{template.label('phase')} {phase}\n{template.horizon(horizon)}",
            ha="center",
            va="bottom",
            fontsize=7.5,
            color="#444444",
        )
    for row, (number, uc) in enumerate(ordered):
        start, width = _SPANS[uc.horizon]
        ax.barh(
            row, width - 0.3, left=start + 0.15, height=0.62, color=colours[uc.horizon], zorder=2
        )
        ax.text(
            start + 0.4,
            row,
            str(number),
            ha="left",
            va="center",
            fontsize=7.5,
            fontweight="bold",
            color="white",
            zorder=3,
        )
    ax.set_yticks(range(len(ordered)))
    ax.set_yticklabels([f"{n}. {_short(uc.title, 40)}" for n, uc in ordered], fontsize=7.5)
    ax.set_ylim(len(ordered) - 0.4, -0.85)
    ax.set_xlim(0, 24)
    ax.set_xticks([0, 6, 12, 18, 24])
    ax.set_xlabel(template.label("months"))
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    alt = "; ".join(
        f"{template.label('phase')} {HORIZONS.index(uc.horizon) + 1} "
        f"({template.horizon(uc.horizon)}): {n}. {uc.title}"
        for n, uc in ordered
    )
    return fig, alt


def _short(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder="…")


def _mix(colour: str, amount: float) -> str:
    """`colour` blended with white; amount 0 keeps it, 1 is white."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)
