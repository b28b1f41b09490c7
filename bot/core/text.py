"""Text helpers every reply shares: shortening, capitals, counts and lists of ids."""

from typing import Sequence


def shorten(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters, ending in "…" when cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def one_line(text: str, width: int) -> str:
    """``text`` on one line (runs of whitespace become one space), then shortened."""
    return shorten(" ".join(text.split()), width)


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def count(n: int, noun: str) -> str:
    """``1 voucher`` / ``3 vouchers``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def join_ids(ids: Sequence[str]) -> str:
    return ", ".join(ids)
