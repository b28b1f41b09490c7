"""Replace the ERP snapshot, users and tickets in the store with a scenario (all or nothing).

The scenario is checked completely before anything is written; the caller owns the
transaction (``bot.store.db.session_scope`` commits, or rolls back on any error), so a failed
load leaves the database as it was.
"""

from pathlib import Path
from typing import Any, Dict, Iterator, List, Union

from sqlalchemy import delete, insert, text
from sqlalchemy.orm import Session

from bot.scenario.data import ScenarioData
from bot.scenario.parse import parse_document, parse_file
from bot.store import audit
from bot.store.models import (
    SCENARIO_TABLES,
    Company,
    Component,
    Job,
    ModuleState,
    Order,
    Payment,
    Reconciliation,
    Ticket,
    User,
    Voucher,
)

BATCH_SIZE = 5000
"""Rows per executemany: one round trip per batch keeps a million-row load fast and
bounded in memory on every database."""

# Contract field -> ORM column, where the names differ.
_RENAMES = {
    "company": "company_id",
    "owner": "owner_id",
    "order": "order_id",
    "requester": "requester_id",
    "assignee": "assignee_id",
}

# Insert order: parents first.
_SECTIONS = (
    ("companies", Company),
    ("users", User),
    ("modules", ModuleState),
    ("orders", Order),
    ("payments", Payment),
    ("jobs", Job),
    ("vouchers", Voucher),
    ("reconciliations", Reconciliation),
    ("components", Component),
    ("tickets", Ticket),
)


def _rows(entries: List[Dict[str, Any]]) -> Iterator[List[Dict[str, Any]]]:
    """Column-named rows in batches of BATCH_SIZE, built lazily (no second full copy)."""
    for start in range(0, len(entries), BATCH_SIZE):
        yield [
            {_RENAMES.get(key, key): value for key, value in entry.items()}
            for entry in entries[start : start + BATCH_SIZE]
        ]


def load_data(session: Session, data: ScenarioData) -> Dict[str, int]:
    """Write an already-checked scenario, replacing every scenario table."""
    for model in SCENARIO_TABLES:
        session.execute(delete(model).execution_options(synchronize_session=False))
    counts: Dict[str, int] = {}
    for section, model in _SECTIONS:
        entries = data.section(section)
        for rows in _rows(entries):
            if section == "tickets":
                for row in rows:
                    row["updated_at"] = row["created_at"]
            session.execute(insert(model), rows)
        counts[section] = len(entries)
    audit.record(session, None, "scenario_load", None, counts)
    session.flush()
    _refresh_statistics(session)
    # Objects this session loaded before describe rows that no longer exist.
    session.expire_all()
    return counts


def _refresh_statistics(session: Session) -> None:
    """ANALYZE the replaced tables on PostgreSQL, so the first diagnosis after a load is planned
    on the new row counts.

    Without statistics the planner takes a company's period for a handful of rows and
    filters its statuses row by row instead of seeking them in the index (a full read of
    the period's orders and payments); autovacuum only analyzes a while later. SQLite's
    planner needs no statistics to seek the same indexes, so it is left alone there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    tables = ", ".join(model.__tablename__ for model in SCENARIO_TABLES)
    session.execute(text(f"ANALYZE {tables}"))


def load_scenario(session: Session, data: Dict[str, Any]) -> Dict[str, int]:
    """Check a scenario document fully, then replace the store's snapshot with it."""
    return load_data(session, parse_document(data))


def load_file(session: Session, path: Union[str, Path]) -> Dict[str, int]:
    """Check a scenario file fully, then replace the store's snapshot with it."""
    return load_data(session, parse_file(path))
