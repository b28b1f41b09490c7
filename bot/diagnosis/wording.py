"""How amounts, moments and modules read in every blocker's text.

Kept apart from the rules that decide what blocks, so that wording can change (or be
translated) without touching them. Every summary names the records by id.
"""

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from bot.core.vocabulary import MODULE_LABELS


def label(module: str) -> str:
    """``Receivables (AR)``: the module as a heading names it."""
    return MODULE_LABELS.get(module, module)


def money(amount: Optional[Decimal], currency: Optional[str] = None) -> str:
    """``45,200.00 CNY``: thousands separators, at least two decimals, never a float."""
    if amount is None:
        return "amount unknown"
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    text = f"{amount:,.{places}f}"
    return f"{text} {currency}" if currency else text


def when(moment: Optional[datetime]) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def sentences(parts: Iterable[str]) -> str:
    """The non-empty parts joined as one line: ``a; b; c``."""
    return "; ".join(p for p in parts if p)
