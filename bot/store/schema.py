"""The store's schema under Alembic: upgrade, adopt, stamp and compare (``bot/store/migrations``).

A database is always brought to the newest revision ("head") under a migration lock, so any
number of processes may start at once: PostgreSQL takes a transaction-scoped advisory lock,
SQLite its one write lock (``BEGIN IMMEDIATE``); both make the DDL transactional. Three cases:

* empty: ``closebot db upgrade`` runs every migration; first use (``bot.store.db``) may instead
  create the tables from the models and stamp head, which is the same schema (the tests hold
  them equal) in a fraction of the time, so the test suite and the demo start as fast as before;
* made by ``create_all`` before migrations existed (tables, no ``alembic_version``): adopted.
  The baseline revision creates only the tables such a database lacks (older ones gained later
  tables on first use) and is recorded, then the later revisions run;
* at an older revision: the later revisions run.

Alembic itself is imported only when a migration runs or a revision is compared: a database at
head is recognised with one query against ``alembic_version`` and the newest revision's file
name, so a command or a server that opens an up-to-date database starts as fast as before.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from bot.store.columns import ExactDecimal, StringList, UTCDateTime
from bot.store.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: the first revision: the schema as it stood when migrations were introduced
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
#: PostgreSQL advisory lock key for migrations ("closebot" in ASCII), the same in every process
LOCK_KEY = 0x636C6F7365626F74
#: a revision's file: its id (0001, 0002, ...) then its slug (``alembic.ini``'s file_template)
REVISION_FILE = re.compile(r"^(\d{4})_\w*\.py$")
#: Alembic's own version table, as ``alembic stamp`` creates it (stamping an empty database
#: by hand spares importing Alembic on first use)
_VERSIONS = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32), nullable=False),
                  PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))

if TYPE_CHECKING:  # Alembic is loaded on demand (see the module's docstring)
    from alembic.config import Config
    from alembic.script import ScriptDirectory


#: our column types as a revision spells them: plain SQLAlchemy types frozen in the file, so a
#: revision never imports the application and never changes meaning when ``columns.py`` does
FROZEN_TYPES: Dict[type, str] = {
    ExactDecimal: 'sa.String(length=64).with_variant(sa.Numeric(), "postgresql")',
    UTCDateTime: "sa.DateTime()",
    StringList: "sa.String(length=400)",
}


def render_item(kind: str, item: Any, _context: Any) -> Union[str, bool]:
    """Alembic's hook for writing one item of a revision (``env.py``): ours for our column
    types, Alembic's own (False) for everything else."""
    if kind == "type":
        for column_type, spelled in FROZEN_TYPES.items():
            if isinstance(item, column_type):
                return spelled
    return False


def alembic_config(url: Optional[str] = None, connection: Optional[Connection] = None) -> "Config":
    """Alembic's configuration for the store: the packaged scripts, and the database to use
    (``connection`` wins over ``url``; neither: ``CLOSEBOT_DATABASE_URL``)."""
    from alembic.config import Config

    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def script_directory() -> "ScriptDirectory":
    """The revisions as Alembic reads them, once per process (they ship with the code)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision, from the file names alone (the tests hold it equal to Alembic's
    head and every file's id to its name)."""
    ids = [found.group(1) for p in (MIGRATIONS / "versions").iterdir() if (found := REVISION_FILE.match(p.name))]
    if not ids:  # pragma: no cover - the package always ships the baseline
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return max(ids)


def next_revision_id() -> str:
    """The id of the next revision: revisions are numbered 0001, 0002, ... so files sort in order."""
    numbers = [int(script.revision) for script in script_directory().walk_revisions()
               if script.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def lock_for_migration(connection: Connection) -> None:
    """Serialise migrations of one database across processes, until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            # pysqlite would run DDL outside any transaction; this takes SQLite's write lock too
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def current(connection: Connection) -> Optional[str]:
    """The revision the database is at; None when it has no ``alembic_version`` (empty, or
    made before migrations) or an empty one (after a downgrade to base)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(select(_VERSIONS.c.version_num)).scalar()


def _stamp(connection: Connection, revision: str) -> None:
    """Record ``revision`` as ``alembic stamp`` does, on a database that has no version yet."""
    _VERSIONS.create(connection, checkfirst=True)
    connection.execute(_VERSIONS.insert().values(version_num=revision))


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the revision before (None: none recorded) and after, and how."""

    before: Optional[str]
    after: str
    adopted: bool = False  # tables made by create_all before migrations existed
    created: bool = False  # an empty database, created from the models and stamped

    def describe(self) -> str:
        if self.adopted:
            return (f"adopted a database created before migrations: baseline {BASELINE} recorded "
                    f"(missing tables created), now at {self.after}")
        if self.created:
            return f"created the schema at {self.after}"
        if self.before == self.after:
            return f"already at {self.after}, nothing to do"
        return f"upgraded from {self.before or 'an empty database'} to {self.after}"


def upgrade(engine: Engine, create_empty: bool = False) -> Upgrade:
    """Bring the database to head in one locked transaction. ``create_empty``: an empty database
    gets ``create_all`` plus a stamp instead of every migration (first use; same schema)."""
    target = head()
    with engine.begin() as connection:
        lock_for_migration(connection)
        before = current(connection)
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
        if before is None and not tables and create_empty:
            Base.metadata.create_all(connection)
            _stamp(connection, target)
            return Upgrade(None, target, created=True)
        if before != target:
            from alembic import command

            command.upgrade(alembic_config(connection=connection), "head")
        return Upgrade(before, target, adopted=before is None and bool(tables))


def prepare(engine: Engine) -> None:
    """First use of a database in this process: nothing when it is at head (two small queries,
    no Alembic), else ``upgrade`` (empty ones through ``create_all``)."""
    with engine.connect() as connection:
        if current(connection) == head():
            return
    upgrade(engine, create_empty=True)


def downgrade(engine: Engine, revision: str) -> None:
    """Step the database back to ``revision`` (``base``: no tables at all)."""
    from alembic import command

    with engine.begin() as connection:
        lock_for_migration(connection)
        command.downgrade(alembic_config(connection=connection), revision)


def differences(engine: Engine) -> List[Any]:
    """What ``alembic check`` reports: each way the database differs from the models (empty
    when the migrations and the models agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
