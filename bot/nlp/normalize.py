"""Turn the words people use ("Nov", "last month", "AR", "c200") into store values.

Uses the same vocabulary as the spaCy entity ruler (:mod:`bot.nlp.patterns`), so every
entity the pipeline finds can be resolved. No spaCy or rasa import.
"""

import re
from typing import Optional

from bot.nlp import patterns as P

_MONTHS = {word: month for month, words in P.MONTH_WORDS.items() for word in words}
_MODULES = {alias: module for module, aliases in P.MODULE_ALIASES.items() for alias in aliases}


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def resolve_period(text: str, reference_period: str) -> Optional[str]:
    """YYYY-MM for a period phrase; a bare month is the latest one not after the reference."""
    ref_year, ref_month = (int(x) for x in reference_period.split("-"))
    raw = text.strip()
    low = re.sub(r"\s+", " ", raw.lower()).strip(" .,!?")
    if low in P.RELATIVE_PERIODS:
        return _shift(ref_year, ref_month, P.RELATIVE_PERIODS[low])
    m = re.fullmatch(r"((?:19|20)\d{2})\s*[-/.年]?\s*(0?[1-9]|1[0-2])\s*月?", low)
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = re.fullmatch(r"(0?[1-9]|1[0-2])\s*[-/.]\s*((?:19|20)\d{2})", low)
    if m:
        return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
    m = re.fullmatch(r"(?:(?:posting )?period )?0(0[1-9]|1[0-2])[ /]((?:19|20)\d{2})", low)
    if m:
        return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
    year: Optional[int] = None
    y = re.search(r"(?:19|20)\d{2}", low)
    if y:
        year = int(y.group(0))
        low = (low[: y.start()] + low[y.end():]).replace("年", "").strip(" .,")
    month = _MONTHS.get(low) or P.CHINESE_MONTHS.get(low)
    if month is None:
        m = re.fullmatch(r"(0?[1-9]|1[0-2])\s*月", low)
        month = int(m.group(1)) if m else None
    if month is None:
        return None
    if year is None:
        year = ref_year if month <= ref_month else ref_year - 1
    return f"{year:04d}-{month:02d}"


def resolve_module(text: str) -> Optional[str]:
    """The contract's module name for an alias ("AR", "general ledger", "总账")."""
    low = re.sub(r"\s+", " ", text.strip().lower()).strip(" .,!?")
    low = re.sub(r"^(the )", "", low)
    low = re.sub(r" (module|ledger close|close)$", "", low) if low not in _MODULES else low
    return _MODULES.get(low)


def resolve_company(text: str) -> str:
    """Company ids are written in capitals: "c200" -> "C200", " company C100 " -> "C100"."""
    cleaned = re.sub(r"^(company|co\.?|entity)\s+", "", text.strip(), flags=re.I)
    return cleaned.strip().upper()
