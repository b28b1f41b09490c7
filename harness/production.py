"""The production profile for tests: throw-away databases, queue and key prefix, and servers on them.

``ProductionServices`` gives one test (or one module) its own Rasa tracker database and
Closebot store database on the local PostgreSQL, its own Redis key prefix and its own RabbitMQ
queue, all named after a fresh id and removed by ``close``; ``stack`` starts an action server
and a Rasa server on them with ``endpoints.production.yml`` (one Sanic worker each), as many
times as there are replicas to run. The services must be listening (``require_services``): a
test of this profile fails, never skips, without them.
"""

import socket
import uuid
from pathlib import Path
from typing import Dict, List, Optional

from bench.latency.profiles import Postgres, delete_queue, endpoints_without_action, production_env
from harness.stack import Stack


def require_services(env: Dict[str, str]) -> None:
    """Raise unless PostgreSQL, Redis and RabbitMQ (as ``env`` names them) accept connections."""
    services = {"PostgreSQL": ("CLOSEBOT_PG_HOST", "CLOSEBOT_PG_PORT"),
                "Redis": ("CLOSEBOT_REDIS_HOST", "CLOSEBOT_REDIS_PORT"),
                "RabbitMQ": ("CLOSEBOT_RABBITMQ_HOST", "CLOSEBOT_RABBITMQ_PORT")}
    down = []
    for name, (host, port) in services.items():
        try:
            socket.create_connection((env[host], int(env[port])), timeout=3).close()
        except OSError:
            down.append(f"{name} on {env[host]}:{env[port]}")
    if down:
        raise RuntimeError("the production profile needs " + " and ".join(down) + " (README \"Tests\")")


class ProductionServices:
    """One test's own databases, queue and key prefix on the local services, removed by ``close``."""

    def __init__(self, tag: str = "test", overrides: Optional[Dict[str, str]] = None) -> None:
        run = f"{tag}_{uuid.uuid4().hex[:10]}"
        self.env = production_env({
            "CLOSEBOT_TRACKER_DB": f"closebot_{run}_tracker",
            "CLOSEBOT_RABBITMQ_QUEUE": f"closebot_{run}_events",
            "CLOSEBOT_REDIS_PREFIX": f"closebot{run.replace('_', '')}",
            "SANIC_WORKERS": "1", "ACTION_SERVER_SANIC_WORKERS": "1",
            "CLOSEBOT_TRACKER_STORE_WAIT_SECONDS": "20",
            **(overrides or {})})
        require_services(self.env)
        self.stacks: List[Stack] = []
        self._pg = Postgres(self.env)
        self._pg.create(self.env["CLOSEBOT_TRACKER_DB"])
        self.db_url = self._pg.url(self._pg.create(f"closebot_{run}_store"))
        self.env["CLOSEBOT_DATABASE_URL"] = self.db_url

    def stack(self, workdir: Path, load_demo: bool = False, env: Optional[Dict[str, str]] = None,
              endpoints: Optional[str] = None) -> Stack:
        """An action server and a Rasa server on these services (``load_demo`` on the first only)."""
        started = Stack(workdir, db_url=self.db_url, load_demo=load_demo, env={**self.env, **(env or {})},
                        endpoints_extra=endpoints_without_action() if endpoints is None else endpoints)
        self.stacks.append(started)
        return started

    def close(self) -> None:
        """Stop the servers started here, then drop the databases, the queue and the Redis keys."""
        for started in self.stacks:
            started.stop()
        from bot.store.db import get_engine

        get_engine(self.db_url).dispose()  # this process's pooled connections, if any
        self._pg.drop_all()
        delete_queue(self.env)
        import redis

        client = redis.Redis(host=self.env["CLOSEBOT_REDIS_HOST"], port=int(self.env["CLOSEBOT_REDIS_PORT"]),
                             db=int(self.env["CLOSEBOT_REDIS_DB"]))
        keys = list(client.scan_iter(f"{self.env['CLOSEBOT_REDIS_PREFIX']}*"))
        if keys:
            client.delete(*keys)
        client.close()

    def __enter__(self) -> "ProductionServices":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
