"""Scenario values read exactly: decimal amounts, datetimes with a UTC offset, time zone names.

The schema only says "a number or a string" and "a string"; whether that text is an
exact amount, a real datetime with an offset or a known IANA zone is decided here, once,
so the semantic check and the conversion agree on every value and every message.
"""

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, FrozenSet

from bot.scenario.reader import SourceInt

try:  # Python 3.9+
    import zoneinfo
except ImportError:  # pragma: no cover - Python 3.8 with the backport
    from backports import zoneinfo  # type: ignore[no-redef]

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATETIME_TEXT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` of a value for an error message, cut to ``limit`` characters."""
    text = repr(str(value) if isinstance(value, Decimal) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_decimal(value: Any) -> Decimal:
    """An exact Decimal from a YAML/JSON number or a decimal string; ValueError otherwise."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{short_repr(value)} is not a decimal amount")
    if isinstance(value, SourceInt):
        text = value.source.replace("_", "")
        if not _DECIMAL_TEXT.match(text):
            raise ValueError(f"{value.source!r} is not a decimal amount")
        return Decimal(text)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):  # only from a caller's dict, never from a file
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.match(text):
            raise ValueError(f"{value!r} is not a decimal amount")
        result = Decimal(text)
    else:
        raise ValueError(f"{short_repr(value)} is not a decimal amount")
    if not result.is_finite():
        raise ValueError(f"{short_repr(value)} is not a finite decimal amount")
    return result


def to_datetime(value: Any) -> datetime:
    """An aware datetime from ISO-8601 text with an offset (``Z`` allowed); ValueError otherwise."""
    if isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str):
        raise ValueError(f"{short_repr(value)} is not an ISO-8601 datetime")
    match = _DATETIME_TEXT.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO-8601 datetime with offset, e.g. 2026-12-03T18:00:00+08:00")
    offset_text = match.group("offset")
    if offset_text is None:
        raise ValueError(f"{value!r} has no UTC offset; write e.g. {value.strip()}+08:00 or {value.strip()}Z")
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    if offset_text in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = -1 if offset_text[0] == "-" else 1
        digits = offset_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"{value!r} has an impossible UTC offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid datetime ({exc})") from None


@lru_cache(maxsize=1)
def _zone_names() -> FrozenSet[str]:
    """Every IANA zone name this system knows (read once)."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """True for an IANA time zone name such as ``Asia/Shanghai`` (and ``UTC``)."""
    if name in _zone_names() or name == "UTC":
        return True
    if not _ZONE_NAME.match(name):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError, OSError on odd names
        return False
    return True
