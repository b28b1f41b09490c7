"""A diagnosis as a plain-text table for the terminal: headline, blockers, fixes."""

import textwrap
from typing import List

from bot.core.text import one_line
from bot.diagnosis.result import Diagnosis
from bot.diagnosis.status import age_text, unknown_text

WIDTH = 100
SUMMARY_WIDTH = 48  # the table shows the start of each summary; the details show all of it


def headline(d: Diagnosis) -> str:
    """``C100 2026-11 general_ledger: cannot close (5 blockers, 3 root causes)``."""
    where = f"{d.company} {d.period} {d.module}"
    if d.can_close and d.status_unknown:
        return f"{where}: nothing in the records blocks the close, but the system status is unknown"
    if d.can_close:
        return f"{where}: can close"
    n, roots = len(d.blockers), len(d.root_causes)
    return (
        f"{where}: cannot close ({n} blocker{'s' if n != 1 else ''}, "
        f"{roots} root cause{'s' if roots != 1 else ''})"
    )


def system_status_lines(d: Diagnosis) -> List[str]:
    """Where the component statuses came from; the reason and age when the page was unreadable."""
    reading = d.system_status
    if reading is None:
        return []
    if reading.available:
        headline = f": {reading.page_status}" if reading.page_status else ""
        return [f"system status: status page {reading.page} read{headline}"]
    lines = [unknown_text(reading)]
    if reading.error:
        lines.append(f"  error: {reading.error}")
    if reading.stale:
        lines.append(f"  components from the page are from the last good reading "
                     f"({age_text(reading.age_seconds())}) and labelled stale")
    return lines


def render_table(d: Diagnosis) -> str:
    """Headline, target status, one table row per blocker, then each blocker's full text."""
    lines: List[str] = [headline(d)]
    status = f"target status: {d.target_status}"
    if d.target_message:
        status += f" (ERP says: {d.target_message})"
    lines.append(status)
    if d.deadline:
        lines.append(f"close deadline: {d.deadline}")
    lines += system_status_lines(d)
    if d.can_close and d.status_unknown:
        lines.append("Nothing in the records blocks the close; do not take the systems for up until "
                     "the status page can be read.")
        return "\n".join(lines)
    if d.can_close:
        lines.append("Nothing blocks the close." if d.target_status != "closed"
                     else "Already closed: nothing to do.")
        return "\n".join(lines)

    header = ("#", "severity", "kind", "module", "refs", "summary", "owner", "caused by")
    rows = [
        (
            str(i),
            b.severity,
            b.kind,
            b.module,
            one_line(", ".join(b.refs) or "-", 24),
            one_line(b.summary, SUMMARY_WIDTH),
            b.owner_role,
            ", ".join(f"#{c}" for c in b.caused_by) or "root cause",
        )
        for i, b in enumerate(d.blockers)
    ]
    widths = [max(len(r[c]) for r in rows + [header]) for c in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines += ["", fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r).rstrip() for r in rows]
    lines += ["", "Details and fixes:"]
    for i, b in enumerate(d.blockers):
        refs = f": {', '.join(b.refs)}" if b.refs else ""
        lines.append(f"#{i} [{b.severity}] {b.kind} ({b.module}){refs} -> {b.owner_role}")
        lines += textwrap.wrap(b.summary, WIDTH, initial_indent="   what: ",
                               subsequent_indent="         ")
        lines += textwrap.wrap(b.fix, WIDTH, initial_indent="   fix:  ",
                               subsequent_indent="         ")
    return "\n".join(lines)
