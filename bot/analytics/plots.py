"""The report's five plots (matplotlib, Agg): plain titles, labelled axes, the numbers on the bars.

Each function takes the :class:`Figures` and a path, writes one PNG and returns nothing; with no
data for it a plot still exists and says so, so the page never shows a broken image.
"""

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: files only, before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.analytics.figures import LOW_CONFIDENCE, Figures, percentile  # noqa: E402
from bot.core.text import shorten  # noqa: E402
from bot.diagnosis.kinds import kind_words  # noqa: E402

SIZE = (8.0, 4.5)
DPI = 100
INK, MUTED, GRID = "#222222", "#666666", "#dddddd"
#: one colour per blocker kind, the same in every report (Okabe-Ito, readable by the colour-blind)
KIND_COLOURS = {
    "order_error": "#0072B2", "payment_issue": "#E69F00", "system_fault": "#D55E00",
    "job_failed": "#CC79A7", "voucher_unposted": "#56B4E9", "data_mismatch": "#009E73",
    "permission_denied": "#F0E442", "module_not_closed": "#999999",
}
HANDLED = (("Resolved by Closebot alone (confirmed by a re-check)", "#1b7837"),
           ("No person needed (not re-checked yet)", "#a6dba0"),
           ("Needed a person (ticket or escalation)", "#bababa"))
FILES = ("blockers_by_kind.png", "time_to_resolution.png", "containment.png",
         "failing_components.png", "worst_understood.png")


def write_all(figures: Figures, out: Path) -> List[Path]:
    """Write the five PNGs into ``out``; their paths, in the order the page shows them."""
    paths = [out / name for name in FILES]
    for draw, path in zip((blockers_by_kind, time_to_resolution, containment, failing_components,
                           worst_understood), paths):
        draw(figures, path)
    return paths


def _figure(title: str, subtitle: str) -> tuple:
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    fig.suptitle(title, x=0.02, y=0.97, ha="left", fontsize=14, fontweight="bold", color=INK)
    fig.text(0.02, 0.885, subtitle, ha="left", fontsize=9.5, color=MUTED)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color(MUTED)
    ax.spines["bottom"].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=9)
    return fig, ax


def _save(fig: Figure, path: Path, top: float = 0.80) -> None:
    fig.subplots_adjust(top=top)
    fig.savefig(path, dpi=DPI, facecolor="white")
    plt.close(fig)


def _rows(fig: Figure, ax: Axes, labels: Sequence[str], slots: int = 5) -> None:
    """Horizontal bars keep one thickness however few they are, and their labels fit on the left."""
    n = len(labels)
    ax.set_ylim(n - max(n, slots) - 0.5, n - 0.5)
    fig.subplots_adjust(left=min(0.5, 0.04 + 0.0088 * max((len(label) for label in labels), default=0)))


def _empty(ax: Axes, message: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=MUTED, transform=ax.transAxes)


def _period_note(figures: Figures) -> str:
    return f"Close period {figures.period}" if figures.period else "All close periods"


def blockers_by_kind(figures: Figures, path: Path) -> None:
    """Stacked bars per close period; one period: a bar per kind, largest first."""
    by_period = figures.blockers_by_kind()
    fig, ax = _figure("What blocked the close",
                      f"{_period_note(figures)} · distinct root causes Closebot found, by kind "
                      "(a record found again counts once)")
    if not by_period:
        _empty(ax, "No blocked close diagnosed yet")
        return _save(fig, path)
    kinds = sorted({k for counts in by_period.values() for k in counts},
                   key=lambda k: -sum(c[k] for c in by_period.values()))
    if len(by_period) == 1:
        [(period, counts)] = by_period.items()
        ordered = sorted(kinds, key=lambda k: counts[k])
        bars = ax.barh([kind_words(k, plural=True).capitalize() for k in ordered], [counts[k] for k in ordered],
                       color=[KIND_COLOURS.get(k, "#999999") for k in ordered], height=0.6)
        ax.bar_label(bars, padding=3, fontsize=9, color=INK)
        _rows(fig, ax, [kind_words(k, plural=True).capitalize() for k in ordered])
        ax.set_xlabel(f"Root causes found in {period}", color=INK)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="x", color=GRID)
        ax.set_axisbelow(True)
        return _save(fig, path)
    periods = list(by_period)
    bottom = [0] * len(periods)
    for kind in kinds:
        values = [by_period[p][kind] for p in periods]
        ax.bar(periods, values, bottom=bottom, label=kind_words(kind, plural=True).capitalize(),
               color=KIND_COLOURS.get(kind, "#999999"), width=0.6)
        bottom = [b + v for b, v in zip(bottom, values)]
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{total}", ha="center", va="bottom", fontsize=9, color=INK)
    ax.set_xlabel("Close period", color=INK)
    ax.set_ylabel("Root causes found", color=INK)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    handles, names = ax.get_legend_handles_labels()  # top of the stack first, as the eye reads it
    ax.legend(handles[::-1], names[::-1], frameon=False, fontsize=8.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(right=0.72)
    _save(fig, path)


def _unit(hours: Sequence[float]) -> tuple:
    """Minutes, hours or days, whichever keeps the numbers readable."""
    longest = max(hours, default=0.0)
    if longest < 2 / 60:
        return "seconds", 3600.0
    if longest < 2:
        return "minutes", 60.0
    if longest < 72:
        return "hours", 1.0
    return "days", 1 / 24


def time_to_resolution(figures: Figures, path: Path) -> None:
    """Median and slowest-10 % (p90) time from a ticket's opening to its resolution, per period."""
    by_period = figures.resolution_by_period()
    still_open = f"; {figures.open_tickets} still open" if figures.open_tickets else ""
    fig, ax = _figure("How long tickets took to resolve",
                      f"{_period_note(figures)} · from the ticket being opened to its resolution note"
                      f"{still_open}")
    if not by_period:
        _empty(ax, "No ticket resolved yet" + (f" ({figures.open_tickets} open)" if figures.open_tickets else ""))
        return _save(fig, path)
    unit, scale = _unit([h for values in by_period.values() for h in values])
    periods = list(by_period)
    xs = range(len(periods))
    medians = [percentile(by_period[p], 0.5) * scale for p in periods]
    p90s = [percentile(by_period[p], 0.9) * scale for p in periods]
    width = 0.3
    a = ax.bar([x - width / 2 for x in xs], medians, width, color="#0072B2", label="Typical ticket (median)")
    b = ax.bar([x + width / 2 for x in xs], p90s, width, color="#E69F00",
               label="Slowest tenth (p90: 9 in 10\nwere resolved faster)")
    ax.bar_label(a, fmt="%.1f", padding=2, fontsize=9)
    ax.bar_label(b, fmt="%.1f", padding=2, fontsize=9)
    ax.set_xticks(list(xs), [f"{p}\n{len(by_period[p])} resolved" for p in periods])
    ax.set_ylabel(f"Time to resolve ({unit})", color=INK)
    ax.set_xlabel("Close period of the ticket", color=INK)
    ax.grid(axis="y", color=GRID)
    ax.set_axisbelow(True)
    ax.set_ylim(0, max(p90s + medians) * 1.15 or 1)
    ax.set_xlim(-0.5 - max(0, 3 - len(periods)) / 2, len(periods) - 0.5 + max(0, 3 - len(periods)) / 2)
    ax.legend(frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(right=0.70, bottom=0.17)
    _save(fig, path)


def containment(figures: Figures, path: Path) -> None:
    """Per period, how the blocked closes ended: 100 % stacked bars with the share printed."""
    by_period = figures.containment_by_period()
    fig, ax = _figure("How blocked closes were handled",
                      f"{_period_note(figures)} · conversations in which Closebot found the close blocked")
    if not by_period:
        _empty(ax, "No blocked close diagnosed yet")
        return _save(fig, path)
    periods = list(by_period)
    totals = [sum(by_period[p]) for p in periods]
    left = [0.0] * len(periods)
    labels = [f"{p}\n({t} blocked)" for p, t in zip(periods, totals)]
    for i, (label, colour) in enumerate(HANDLED):
        shares = [100.0 * by_period[p][i] / t for p, t in zip(periods, totals)]
        ax.barh(labels, shares, left=left, color=colour, label=label, height=0.55)
        for y, (start, share) in enumerate(zip(left, shares)):
            if share >= 8:
                ax.text(start + share / 2, y, f"{share:.0f} %", ha="center", va="center", fontsize=10,
                        color="white" if i == 0 else INK)
        left = [s + v for s, v in zip(left, shares)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of blocked conversations (%)", color=INK)
    ax.invert_yaxis()
    ax.legend(frameon=False, fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1)
    fig.subplots_adjust(bottom=0.36, left=0.16)
    _save(fig, path, top=0.80)


def failing_components(figures: Figures, path: Path) -> None:
    """The status-page components that blocked closes, by conversations held up."""
    counts = figures.failing_components()
    fig, ax = _figure("Systems that blocked the close",
                      f"{_period_note(figures)} · status-page components at fault, by conversations they held up")
    if not counts:
        _empty(ax, "No system fault blocked a close")
        return _save(fig, path)
    ordered = list(reversed(counts))
    labels = [f"{figures.component_names[c]} ({c})" if c in figures.component_names else c for c, _ in ordered]
    bars = ax.barh(labels, [n for _, n in ordered], color="#D55E00", height=0.6)
    ax.bar_label(bars, padding=3, fontsize=9)
    _rows(fig, ax, labels)
    ax.set_xlabel("Conversations held up", color=INK)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color=GRID)
    ax.set_axisbelow(True)
    _save(fig, path)


def worst_understood(figures: Figures, path: Path) -> None:
    """The messages understood worst: how often sent, and what Closebot made of them."""
    worst = figures.worst_understood()
    fig, ax = _figure("Messages Closebot understood worst",
                      f"{_period_note(figures)} · fell back, or read with under {LOW_CONFIDENCE:.0%} confidence; "
                      "teach these to the assistant first")
    if not worst:
        _empty(ax, f"Every message was understood with at least {LOW_CONFIDENCE:.0%} confidence")
        return _save(fig, path)
    ordered = list(reversed(worst))
    labels = [f"“{shorten(_printable(m.text), 42)}”" for m in ordered]
    bars = ax.barh(labels, [m.count for m in ordered], color="#56B4E9", height=0.6)
    _rows(fig, ax, labels)
    for bar, m in zip(bars, ordered):
        parts = [f"not understood {m.fallbacks}×"] if m.fallbacks else []
        parts.append(f"guess: {m.guess.replace('_', ' ')} ({m.mean_confidence:.0%} sure)" if m.guess
                     else "no guess at all")
        note = "; ".join(parts)
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, "  " + note, va="center", fontsize=8.5,
                color=INK)
    ax.set_xlim(0, max(m.count for m in worst) * 2.2)
    ax.set_xlabel("Times sent", color=INK)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color=GRID)
    ax.set_axisbelow(True)
    _save(fig, path)


_GLYPHS: Optional[Dict[int, int]] = None


def _printable(text: str) -> str:
    """``text`` with what the plot font cannot draw (Chinese, without a CJK font) shown as "[…]";
    the HTML page lists the messages in full."""
    global _GLYPHS
    if _GLYPHS is None:
        from matplotlib.ft2font import FT2Font

        _GLYPHS = FT2Font(font_manager.findfont(font_manager.FontProperties(family=plt.rcParams["font.family"]))
                          ).get_charmap()
    out, missing = [], False
    for char in text:
        if ord(char) in _GLYPHS or char.isspace():
            out.append(char)
            missing = False
        elif not missing:
            out.append("[…]")
            missing = True
    return "".join(out)
