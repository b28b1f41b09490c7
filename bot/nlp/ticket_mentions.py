"""Where a message writes a ticket number, in any helpdesk's format: the spans NLU tags.

The entity ruler knows Closebot's own ``CLS-000123``; tickets also come from the helpdesks a
scenario imports, so a number is a ticket number when
- its prefix is a helpdesk's (ServiceNow ``INC0012345`` / ``RITM…`` / ``CHG…``, Closebot
  ``CLS``, common helpdesk keys ``HD``, ``SD``, ``TKT``, ``FIN``…) or one the store's tickets
  use (``extra_prefixes``, read when the NLU loads);
- the words say it is one: "ticket 30415", "incident #7", "工单 30415" (the number is tagged);
- it follows a ticket command ("assign FIN-88 to me", "resolve AB-12"), unless its prefix is
  an ERP record's (``SO-1042``, ``PAY-88``: records are looked up in the store, not tickets).
Amounts, periods and company ids are never tagged. Pure text work: no spaCy, no Rasa.
"""

import re
from typing import Iterable, List, Tuple

from bot.nlp.patterns import RECORD_PREFIXES

#: Prefixes helpdesks give their tickets (ServiceNow's task tables, common Jira/helpdesk keys).
HELPDESK_PREFIXES = ("cls", "inc", "ritm", "req", "chg", "prb", "sctask", "hd", "sd", "tkt", "fin", "itsm",
                     "case", "sr")
#: Words after which a number is a ticket's.
TICKET_WORDS = r"tickets?|incidents?|cases?|requests?|issues?|工单|事件单|单号|ticket\s*no\.?|ticket\s*number"
#: Commands that take a ticket: a record-shaped id right after one is a ticket number.
COMMANDS = (r"status\s+of|update\s+on|assign|reassign|take|grab|resolve|close|reopen|comment\s+on|"
            r"note\s+(?:on|to)|add\s+(?:a\s+)?(?:note|comment)\s+to|escalate|answer|reply\s+to|respond\s+to|"
            r"mark|set|put|move|give|分配|关闭|解决|更新|回复|升级|查询|查一下")
#: Letters then digits, with an optional separator: "INC0012345", "HD-30415", "fin 88".
#: ASCII word boundaries: Chinese text runs into ids without spaces ("把HD-30415分配给").
_B, _A = r"(?<![A-Za-z0-9_-])", r"(?![A-Za-z0-9_-])"
_PREFIXED = re.compile(_B + r"(#?)([A-Za-z]{2,10})([-_ ]?)(\d{1,12})" + _A)
_AFTER_WORD = re.compile(r"(?:" + TICKET_WORDS + r")\s*(?:#|no\.?|number|:)?\s*(#?\d{1,12})" + _A, re.IGNORECASE)
_AFTER_COMMAND = re.compile(r"(?:" + COMMANDS + r")\s*(?:ticket\s+)?(#?[A-Za-z]{2,10}-\d{1,12})" + _A,
                            re.IGNORECASE)
_HASH_DIGITS = re.compile(r"(?<![A-Za-z0-9_#])(#\d{3,12})" + _A)


def ticket_spans(text: str, extra_prefixes: Iterable[str] = ()) -> List[Tuple[int, int]]:
    """(start, end) of every ticket number in ``text``, in order, never overlapping."""
    prefixes = {p.lower() for p in (*HELPDESK_PREFIXES, *extra_prefixes)}
    records = set(RECORD_PREFIXES)
    spans: List[Tuple[int, int]] = []
    for m in _PREFIXED.finditer(text):
        prefix = m.group(2).lower()
        if prefix in prefixes and not (m.group(3) == " " and prefix not in ("cls", "inc", "hd", "fin")):
            spans.append((m.start(), m.end()))
    for m in _AFTER_WORD.finditer(text):
        spans.append(m.span(1))
    for m in _AFTER_COMMAND.finditer(text):
        prefix = re.match(r"#?([A-Za-z]+)", m.group(1)).group(1).lower()
        if prefix not in records and not _month_year(m.group(1)):
            spans.append(m.span(1))
    for m in _HASH_DIGITS.finditer(text):
        spans.append(m.span(1))
    return _non_overlapping(spans)


def _month_year(token: str) -> bool:
    return bool(re.fullmatch(r"#?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)-\d{2,4}", token, re.I))


def _non_overlapping(spans: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    out: List[Tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]))):
        if out and start < out[-1][1]:
            continue
        out.append((start, end))
    return out
