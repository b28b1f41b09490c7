"""The production profile's services: environment, endpoints, throw-away databases and queue.

``--profile production`` runs Closebot on PostgreSQL, Redis and RabbitMQ as
``endpoints.production.yml`` configures them; everything one run creates there is its own and
removed afterwards.
"""

import asyncio
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench.common import ROOT, log

PRODUCTION_ENDPOINTS = ROOT / "endpoints.production.yml"
PRODUCTION_ENV = ROOT / "production.env"


def production_env(overrides: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """``production.env`` defaults (the local services) under whatever the environment sets.

    The file's lines are ``KEY=${KEY:-default}`` so a shell that sources it also lets the
    environment win; plain ``KEY=value`` lines are read as defaults too.
    """
    env: Dict[str, str] = {}
    for line in PRODUCTION_ENV.read_text().splitlines():
        found = re.match(r"^\s*([A-Za-z_]\w*)=(.*)$", line)
        if not found:
            continue
        key, value = found.groups()
        default = re.fullmatch(r"\$\{" + key + r":-(.*)\}", value.strip())
        env[key] = os.environ.get(key, default.group(1) if default else value.strip())
    env.update(overrides or {})
    return env


def endpoints_without_action(path: Path = PRODUCTION_ENDPOINTS) -> str:
    """The production endpoints minus ``action_endpoint`` (the Stack points it at its own port)."""
    text = path.read_text()
    return re.sub(r"(?m)^action_endpoint:\n(?:[ \t]+.*\n|[ \t]*\n)*", "", text)


class Postgres:
    """Throw-away PostgreSQL databases on the local server for one benchmark run."""

    def __init__(self, env: Dict[str, str]) -> None:
        """``env``: the PostgreSQL server's host, port, user and password (``production_env``)."""
        self.env = env
        self.created: List[str] = []

    def _admin(self) -> Any:
        """An autocommit connection to the ``postgres`` database (CREATE/DROP DATABASE need it)."""
        import psycopg2

        conn = psycopg2.connect(
            host=self.env["CLOSEBOT_PG_HOST"], port=int(self.env["CLOSEBOT_PG_PORT"]),
            user=self.env["CLOSEBOT_PG_USER"], password=self.env.get("CLOSEBOT_PG_PASSWORD") or None,
            dbname="postgres")
        conn.autocommit = True
        return conn

    def create(self, name: str) -> str:
        """Create (or re-create) the database ``name``, to be dropped by ``drop_all``; its name."""
        conn = self._admin()  # not `with conn`: psycopg2 would open a transaction block
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        self.created.append(name)
        return name

    def url(self, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on this server."""
        e = self.env
        auth = e["CLOSEBOT_PG_USER"] + (f":{e['CLOSEBOT_PG_PASSWORD']}" if e.get("CLOSEBOT_PG_PASSWORD") else "")
        return f"postgresql+psycopg2://{auth}@{e['CLOSEBOT_PG_HOST']}:{e['CLOSEBOT_PG_PORT']}/{name}"

    def drop_all(self) -> None:
        """Drop every database this instance created (failures are logged, not raised)."""
        for name in self.created:
            try:
                conn = self._admin()
                with conn.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.close()
            except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
                log(f"could not drop database {name}: {exc}")


def delete_queue(env: Dict[str, str]) -> None:
    """Remove the run's RabbitMQ queue: nobody consumes the benchmark's tracker events."""
    import aio_pika

    async def delete() -> None:
        connection = await aio_pika.connect(
            host=env["CLOSEBOT_RABBITMQ_HOST"], port=int(env["CLOSEBOT_RABBITMQ_PORT"]),
            login=env["CLOSEBOT_RABBITMQ_USER"], password=env["CLOSEBOT_RABBITMQ_PASSWORD"])
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(env["CLOSEBOT_RABBITMQ_QUEUE"])

    try:
        asyncio.run(delete())
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
        log(f"could not delete queue {env.get('CLOSEBOT_RABBITMQ_QUEUE')}: {exc}")
