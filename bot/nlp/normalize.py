"""Turn entity text ("November", "十一月", "AR", "c200") into contract values.

Pure Python: no rasa, no spaCy. Used by the Rasa actions on the raw slot values.
"""

import re
from typing import Optional, Tuple

from bot.nlp.patterns import (
    CHINESE_MONTHS,
    MODULE_ALIASES,
    MONTH_WORDS,
    RELATIVE_PERIODS,
)

_PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

_MONTH_BY_WORD = {w: n for n, words in MONTH_WORDS.items() for w in words}
_MODULE_BY_ALIAS = {
    alias.lower(): module for module, aliases in MODULE_ALIASES.items() for alias in aliases
}
_MODULE_BY_ALIAS.update({m: m for m in MODULE_ALIASES})
_MODULE_BY_ALIAS.update({m.replace("_", " "): m for m in MODULE_ALIASES})

_YEAR = r"((?:19|20)\d{2})"
_MONTH_NUM = r"(0?[1-9]|1[0-2])"


def _parse_reference(reference_period: str) -> Tuple[int, int]:
    match = _PERIOD_RE.match((reference_period or "").strip())
    if not match:
        raise ValueError(f"reference period must be YYYY-MM, got {reference_period!r}")
    return int(match.group(1)), int(match.group(2))


def _fmt(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _shift(year: int, month: int, offset: int) -> Tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def _latest(month: int, ref_year: int, ref_month: int) -> str:
    """The most recent occurrence of ``month`` not after the reference period."""
    year = ref_year if month <= ref_month else ref_year - 1
    return _fmt(year, month)


def _chinese_number(text: str) -> Optional[int]:
    name = text if text.endswith("月") else text + "月"
    return CHINESE_MONTHS.get(name)


def resolve_period(text: str, reference_period: str) -> Optional[str]:
    """Resolve a period mention to ``YYYY-MM`` relative to ``reference_period``.

    A month without a year is its latest occurrence not after the reference period
    (reference 2026-11: "November" -> 2026-11, "December" -> 2025-12). Returns None
    when nothing in ``text`` looks like a period.
    """
    if text is None:
        return None
    ref_year, ref_month = _parse_reference(reference_period)
    raw = str(text).strip()
    low = re.sub(r"\s+", " ", raw.lower()).strip(" .,!?;:'\"()[]")
    if not low:
        return None

    # relative phrases
    for phrase, offset in sorted(RELATIVE_PERIODS.items(), key=lambda kv: -len(kv[0])):
        if phrase in low:
            return _fmt(*_shift(ref_year, ref_month, offset))

    # 2026-11, 2026/11, 2026.11, 202611, 2026年11月, 2026 年 11 月
    m = re.search(_YEAR + r"\s*(?:[-/.]|年)?\s*" + _MONTH_NUM + r"(?!\d)\s*月?", low)
    if m and (len(m.group(2)) == 2 or re.search(r"[-/.年]", m.group(0))):
        return _fmt(int(m.group(1)), int(m.group(2)))
    # 11/2026, 11-2026
    m = re.search(r"(?<!\d)" + _MONTH_NUM + r"[-/.]" + _YEAR + r"(?!\d)", low)
    if m:
        return _fmt(int(m.group(2)), int(m.group(1)))
    # SAP: "posting period 011 2026"
    m = re.search(r"(?<!\d)0(0[1-9]|1[0-2])\s+" + _YEAR + r"(?!\d)", low)
    if m:
        return _fmt(int(m.group(2)), int(m.group(1)))

    # fiscal: "FY26 P11", "P11 FY2026", "FY26 period 11" (a fiscal year is read as the
    # calendar year: period N is month N; company fiscal calendars are not modelled)
    m = re.search(r"\bfy'?(\d{2}|\d{4})\b[\s/-]*(?:p|period)\s*\.?\s*(\d{1,2})\b", low) or re.search(
        r"\bp\.?(\d{1,2})[\s/-]*fy'?(\d{2}|\d{4})\b", low)
    if m:
        fy, number = (m.group(1), m.group(2)) if low[m.start():].startswith("fy") else (m.group(2), m.group(1))
        if 1 <= int(number) <= 12:
            return _fmt(int(fy) if len(fy) == 4 else 2000 + int(fy), int(number))

    # Oracle: "NOV-26" (two-digit year)
    m = re.search(r"\b([a-z]{3,9})-(\d{2})(?!\d)", low)
    if m and m.group(1) in _MONTH_BY_WORD:
        return _fmt(2000 + int(m.group(2)), _MONTH_BY_WORD[m.group(1)])

    year_match = re.search(r"(?<!\d)" + _YEAR + r"(?!\d)", low)
    year = int(year_match.group(1)) if year_match else None

    # Chinese: 2026年十一月, 十一月, 11月
    month: Optional[int] = None
    for name in sorted(CHINESE_MONTHS, key=len, reverse=True):
        if name in low:
            # "十一月" contains "一月": the longest name wins, but only at a boundary
            idx = low.find(name)
            if idx > 0 and low[idx - 1] in "十":
                continue
            month = CHINESE_MONTHS[name]
            break
    if month is None:
        m = re.search(r"(?<!\d)" + _MONTH_NUM + r"\s*月", low)
        if m:
            month = int(m.group(1))
    # English month names / abbreviations
    if month is None:
        for word in re.findall(r"[a-z]+", low):
            if word in _MONTH_BY_WORD:
                month = _MONTH_BY_WORD[word]
                break
    if month is None:
        return None
    if year is not None:
        return _fmt(year, month)
    return _latest(month, ref_year, ref_month)


def resolve_module(text: str) -> Optional[str]:
    """Resolve a module mention ("GL", "accounts receivable", "库存") to its contract name."""
    if text is None:
        return None
    low = re.sub(r"\s+", " ", str(text).strip().lower()).strip(" .,!?;:'\"()[]")
    if not low:
        return None
    if low in _MODULE_BY_ALIAS:
        return _MODULE_BY_ALIAS[low]
    for suffix in (" module", " close", " ledger", "模块"):
        if low.endswith(suffix) and low[: -len(suffix)].strip() in _MODULE_BY_ALIAS:
            return _MODULE_BY_ALIAS[low[: -len(suffix)].strip()]
    if low.startswith("the ") and low[4:] in _MODULE_BY_ALIAS:
        return _MODULE_BY_ALIAS[low[4:]]
    # longest alias contained in the text (Chinese has no spaces; English on word bounds)
    best: Optional[Tuple[int, str]] = None
    for alias, module in _MODULE_BY_ALIAS.items():
        if re.search(r"[\u4e00-\u9fff]", alias):
            found = alias in low
        else:
            found = re.search(r"(?<![a-z0-9/])" + re.escape(alias) + r"(?![a-z0-9/])", low)
        if found and (best is None or len(alias) > best[0]):
            best = (len(alias), module)
    return best[1] if best else None


def resolve_company(text: str) -> str:
    """Normalise a company id: strip and uppercase ("c200" -> "C200", "company c100" -> "C100")."""
    cleaned = re.sub(r"^(?:company|co\.?|entity|公司)\s*", "", str(text or "").strip(), flags=re.I)
    return cleaned.strip().upper()


def resolve_ticket_number(text: str) -> str:
    """Normalise a ticket number as Closebot writes them: "#cls-12" / "CLS12" -> "CLS-000012".

    Numbers of other shapes (e.g. loaded from a scenario) are only stripped and upper-cased.
    """
    cleaned = str(text or "").strip().lstrip("#").upper()
    match = re.fullmatch(r"CLS[-\s]?(\d{1,6})", cleaned)
    return f"CLS-{int(match.group(1)):06d}" if match else cleaned
