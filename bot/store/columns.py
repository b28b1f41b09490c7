"""Column types that keep amounts exact and datetimes in UTC on every database."""

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, List, Optional

from sqlalchemy import DateTime, Numeric, String, literal, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator):
    """A decimal never stored as a binary float.

    PostgreSQL keeps arbitrary-precision NUMERIC; SQLite has no decimal type, so the
    canonical string is stored instead (SQLAlchemy would otherwise fall back to REAL).
    """

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> Optional[Decimal]:
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as naive UTC, returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class StringList(TypeDecorator):
    """A short list of vocabulary words stored as ``a,b,c`` ('' when empty).

    A plain string keeps "has no issues" an indexable equality test (``issues == ''``)
    on every database, which JSON columns do not.
    """

    impl = String(400)
    cache_ok = True

    def process_bind_param(self, value: Optional[List[str]], dialect: Any) -> Optional[str]:
        if value is None:
            return None
        return ",".join(value)

    def process_result_value(self, value: Optional[str], dialect: Any) -> Optional[List[str]]:
        if value is None:
            return None
        return [item for item in value.split(",") if item]


def list_contains(column: ColumnElement, word: str) -> ColumnElement:
    """SQL test that a StringList column (``a,b,c``) holds ``word`` exactly."""
    as_text = type_coerce(column, String())
    wrapped = literal(",", String()) + as_text + literal(",", String())
    return wrapped.contains(f",{word},", autoescape=True)
