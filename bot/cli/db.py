"""``closebot db upgrade|current|check|revision``: Closebot's own store under Alembic.

The database is the one ``CLOSEBOT_DATABASE_URL`` names (default: the embedded SQLite file).
Exit codes: 0 done (current: at the newest revision; check: no difference), 1 not (the reason
is printed; upgrade: a revision this code does not know, nothing changed), 2 the database
cannot be reached.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import click

T = TypeVar("T")


@click.group("db")
def db() -> None:
    """The store's schema: migrations of the database CLOSEBOT_DATABASE_URL names."""


def _engine() -> Any:
    """An engine without the first-use shortcut of ``bot.store.db`` and without its lock
    timeout: a migration waits for the locks it needs."""
    from sqlalchemy import create_engine, pool

    from bot.core.config import database_url

    return create_engine(database_url(), future=True, poolclass=pool.NullPool)


def _shown(engine: Any) -> str:
    return engine.url.render_as_string(hide_password=True)


def _reachable(engine: Any, work: Callable[[], T]) -> T:
    from sqlalchemy.exc import OperationalError

    try:
        return work()
    except OperationalError as exc:
        click.echo(f"error: cannot use the database {_shown(engine)}: {str(exc.orig).strip()}", err=True)
        sys.exit(2)


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest revision (adopting one made before migrations)."""
    from alembic.util import CommandError

    from bot.store import schema

    engine = _engine()
    try:
        done = _reachable(engine, lambda: schema.upgrade(engine))
    except CommandError as exc:  # e.g. a revision newer than this code (a rolled-back deploy)
        click.echo(f"error: {_shown(engine)}: {exc}; nothing was changed", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"{_shown(engine)}: {done.describe()}")


@db.command("current")
def db_current() -> None:
    """The database's revision and the newest one; exit 1 unless they are the same."""
    from sqlalchemy import inspect

    from bot.store import schema

    engine = _engine()

    def read() -> "tuple[Optional[str], int]":
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names()) - {schema.VERSION_TABLE}
            return schema.current(connection), len(tables)

    try:
        revision, tables = _reachable(engine, read)
    finally:
        engine.dispose()
    head = schema.head()
    if revision is not None:
        state = "up to date" if revision == head else "behind: run `closebot db upgrade`"
        click.echo(f"{_shown(engine)}: at {revision}, newest {head} ({state})")
    elif tables:
        click.echo(f"{_shown(engine)}: {tables} tables made before migrations, no revision recorded; "
                   "`closebot db upgrade` adopts it")
    else:
        click.echo(f"{_shown(engine)}: empty; `closebot db upgrade` creates the schema at {head}")
    if revision != head:
        sys.exit(1)


@db.command("check")
def db_check() -> None:
    """Compare the database with the models (what `alembic check` does); exit 1 on a difference."""
    from bot.store import schema

    engine = _engine()
    try:
        found = _reachable(engine, lambda: schema.differences(engine))
    finally:
        engine.dispose()
    if found:
        click.echo(f"{_shown(engine)} differs from the models:", err=True)
        for difference in found:
            click.echo(f"  {difference}", err=True)
        sys.exit(1)
    click.echo(f"{_shown(engine)}: matches the models")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes, e.g. 'tickets gain a due date'.")
def db_revision(message: str) -> None:
    """Write a new revision with the models' changes since the newest one (for developers).

    The changes are found against a throw-away SQLite database at the newest revision, so no
    database of yours is needed; read the file before committing it (see its header).
    """
    from alembic import command
    from sqlalchemy import create_engine, pool

    from bot.store import schema

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.db'}", future=True, poolclass=pool.NullPool)
        try:
            schema.upgrade(engine)
            if not schema.differences(engine):
                click.echo("the models match the newest revision: nothing to write", err=True)
                sys.exit(1)
            with engine.begin() as connection:
                script = command.revision(schema.alembic_config(connection=connection), message=message,
                                          autogenerate=True, rev_id=schema.next_revision_id())
        finally:
            engine.dispose()
    click.echo(f"wrote {script.path}")  # type: ignore[union-attr]
