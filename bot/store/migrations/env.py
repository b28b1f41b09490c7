"""Alembic's environment for Closebot's store.

The target is ``bot.store.models`` (what ``alembic check`` compares against). The database is
the connection ``bot.store.schema`` hands over in ``config.attributes["connection"]`` (it holds
the migration lock and commits), else ``sqlalchemy.url``, else ``CLOSEBOT_DATABASE_URL``.
``render_as_batch``: SQLite can alter a table only by copying it, which batch mode does;
``compare_type``: a changed column type is a difference too, not only added or dropped columns.
"""

from alembic import context
from alembic.util import CommandError
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from bot.core.config import database_url
from bot.store.models import Base
from bot.store.schema import lock_for_migration, render_item

config = context.config

OPTIONS = {"target_metadata": Base.metadata, "render_as_batch": True, "compare_type": True,
           "render_item": render_item}


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Alembic's own command line: our connection, our lock, one transaction.
    engine = create_engine(_url(), poolclass=pool.NullPool, future=True)
    try:
        with engine.begin() as connection:
            lock_for_migration(connection)
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    # The baseline looks at the database to adopt one made before migrations: no SQL script.
    raise CommandError("offline mode (--sql) is not supported: run `closebot db upgrade` on the database")
run_online()
