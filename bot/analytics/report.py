"""``closebot report``: the five plots, a one-page HTML summary and the key figures as text."""

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy.orm import Session

from bot.analytics import figures as figures_module
from bot.analytics import plots
from bot.analytics.figures import Figures

PAGE = "index.html"


@dataclass
class Report:
    figures: Figures
    key: Dict[str, object]
    page: Path
    images: List[Path]


def write_report(session: Session, out: Path, period: Optional[str] = None) -> Report:
    """Compute the figures for ``period`` (all when None) and write the plots and the page into ``out``."""
    figures = figures_module.load(session, period)
    out.mkdir(parents=True, exist_ok=True)
    images = plots.write_all(figures, out)
    key = figures.key_figures()
    page = out / PAGE
    page.write_text(render_page(figures, key, images), encoding="utf-8")
    return Report(figures, key, page, images)


def _show(value: object, suffix: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value}{suffix}"


def _duration(hours: Optional[object]) -> str:
    if not isinstance(hours, (int, float)):
        return "–"
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} s"
    if hours < 2:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours < 72 else f"{hours / 24:.1f} days"


def key_lines(key: Dict[str, object], period: Optional[str]) -> List[str]:
    """The key figures as the CLI prints them, one per line, label then value."""
    return [
        f"period: {period or 'all'}",
        f"conversations: {key['conversations']}",
        f"diagnoses: {key['diagnoses']}",
        f"blocked conversations: {key['blocked_conversations']}",
        f"containment (blocked, no ticket or escalation): {_show(key['containment_pct'], ' %')}",
        f"resolved without a person: {key['resolved_without_person']}",
        f"tickets: {key['tickets']}, escalations: {key['escalations']}",
        f"fallback rate: {_show(key['fallback_rate_pct'], ' %')} "
        f"({key['fallback_turns']} of {key['user_turns']} messages)",
        f"median turns to diagnosis: {_show(key['median_turns_to_diagnosis'])}",
        f"median time to resolution: {_duration(key['median_hours_to_resolution'])} "
        f"({key['tickets_resolved']} resolved, {key['tickets_open']} open)",
    ]


CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1120px;margin:24px auto;
padding:0 16px;line-height:1.4}
h1{font-size:22px;margin:0 0 4px}.sub{color:#666;margin:0 0 18px}
.tiles{display:grid;grid-template-columns:repeat(5,1fr);gap:10px;margin-bottom:18px}
.tile{border:1px solid #ddd;border-radius:6px;padding:10px 12px}
.tile b{display:block;font-size:26px}.tile span{color:#666;font-size:13px}
.plots{display:grid;grid-template-columns:1fr 1fr;gap:12px}.plots img{width:100%;border:1px solid #eee}
table{border-collapse:collapse;font-size:13px;margin-top:8px}td,th{border-bottom:1px solid #eee;padding:4px 8px;
text-align:left}
.notes{color:#555;font-size:12.5px}
@media print{body{margin:0}.plots img{break-inside:avoid}}
"""


def render_page(figures: Figures, key: Dict[str, object], images: List[Path]) -> str:
    """One page: the key figures as tiles, the five plots, the worst-understood messages in full."""
    scope = f"close period {figures.period}" if figures.period else "all close periods"
    title = f"Closebot: the period-end close, {scope}"
    if not figures.has_data:
        body = (f"<h1>{html.escape(title)}</h1><p class='sub'>No data yet: no conversation has reached the "
                "analytics and no ticket was resolved. Start <code>closebot analytics consume</code> next to the "
                "Rasa server's event broker, talk to Closebot, then run <code>closebot report</code> again.</p>")
        return _document(title, body)
    tiles = [
        (_show(key["conversations"]), "conversations"),
        (_show(key["containment_pct"], " %"), "of blocked closes needed no person"),
        (_duration(key["median_hours_to_resolution"]), "typical time to resolve a ticket"),
        (_show(key["median_turns_to_diagnosis"]), "messages until the root cause (median)"),
        (_show(key["fallback_rate_pct"], " %"), "of messages not understood"),
    ]
    tile_html = "".join(f"<div class='tile'><b>{html.escape(v)}</b><span>{html.escape(t)}</span></div>"
                        for v, t in tiles)
    details = (f"{_n(key['diagnoses'], 'diagnosis', 'diagnoses')}; "
               f"{_n(key['blocked_conversations'], 'conversation')} found the close blocked, "
               f"{key['resolved_without_person']} of them confirmed resolved without a person; "
               f"{_n(key['tickets'], 'ticket')} and {_n(key['escalations'], 'escalation')} opened; "
               f"{_n(key['tickets_resolved'], 'ticket')} resolved, {key['tickets_open']} still open.")
    image_html = "".join(f"<img src='{html.escape(p.name)}' alt='{html.escape(p.stem.replace('_', ' '))}'>"
                         for p in images)
    worst = figures.worst_understood()
    rows = "".join(f"<tr><td>{html.escape(m.text)}</td><td>{m.count}</td><td>{m.fallbacks}</td>"
                   f"<td>{html.escape(_words(m.guess))}</td>"
                   f"<td>{f'{m.mean_confidence:.0%}' if m.guess else '–'}</td></tr>" for m in worst)
    table = ("<h2 style='font-size:16px'>Messages understood worst, in full</h2><table><tr><th>message</th>"
             "<th>times</th><th>not understood</th><th>best guess</th><th>confidence</th></tr>"
             f"{rows}</table>") if worst else ""
    notes = ("<p class='notes'>A conversation is one chat session; it counts in the close period it first "
             "diagnosed. <i>Needed no person</i>: the close was found blocked and no ticket or escalation "
             "followed. Ticket times run from opening to the resolution note, by the ticket's close period.</p>")
    body = (f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(details)}</p>"
            f"<div class='tiles'>{tile_html}</div><div class='plots'>{image_html}</div>{table}{notes}")
    return _document(title, body)


def _n(count: object, one: str, many: str = "") -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _words(intent: Optional[str]) -> str:
    return intent.replace("_", " ") if intent else "none (noise)"


def _document(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")
