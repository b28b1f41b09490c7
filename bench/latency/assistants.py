"""The assistants under test: Closebot in a profile, or the stock ``rasa init`` moodbot.

Starting one means a stack of servers and, for the production profile, its own databases and
queue; stopping it removes them again.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from bench.common import ROOT, log
from bench.latency.conversations import CLOSEBOT, STOCK
from bench.latency.profiles import (
    PRODUCTION_ENDPOINTS,
    Postgres,
    delete_queue,
    endpoints_without_action,
    production_env,
)
from bench.latency.replicas import Replicas
from harness.stack import BIN, Stack

REFERENCE_DIR = ROOT / "build" / "bench" / "rasa_init"


def reference_model(init_dir: Path = REFERENCE_DIR) -> Path:
    """The stock `rasa init` moodbot's model, created and trained once (build/ is not committed)."""
    models = sorted((init_dir / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if models:
        return models[-1]
    log(f"creating the stock assistant with `rasa init` in {init_dir} (about a minute)")
    shutil.rmtree(init_dir, ignore_errors=True)
    init_dir.mkdir(parents=True)
    subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(init_dir)],
                   cwd=init_dir, check=True, capture_output=True)
    return reference_model(init_dir)


class Assistant:
    """Start one assistant (Closebot in a profile, or the stock moodbot) and clean up after it."""

    def __init__(self, name: str, model: Path, workdir: Path, profile: str = "default",
                 rasa_workers: Optional[int] = None, action_workers: Optional[int] = None,
                 endpoints: Path = PRODUCTION_ENDPOINTS, replicas: int = 1) -> None:
        """``name`` is ``closebot`` or ``stock``; ``endpoints`` is the production profile's file;
        ``replicas`` pairs of servers share the production profile's services."""
        if replicas > 1 and profile != "production":
            raise ValueError("replicas share conversations only in the production profile")
        self.replicas = replicas
        self.name, self.model, self.workdir, self.profile = name, model, workdir, profile
        self.endpoints = endpoints
        self.rasa_workers, self.action_workers = rasa_workers, action_workers
        self.script = STOCK if name == "stock" else CLOSEBOT
        self.stack: Optional[Union[Stack, Replicas]] = None
        self._pg: Optional[Postgres] = None
        self._env: Dict[str, str] = {}
        self.db_url: Optional[str] = None

    def start(self) -> Union[Stack, Replicas]:
        """Create the profile's databases and queue names if any, then start the servers."""
        env: Dict[str, str] = {}
        extra, db_url = "", None
        if self.profile == "production":
            # Everything this run creates is its own and removed afterwards.
            run_id = f"{os.getpid()}x{int(time.time())}"
            env = production_env({"CLOSEBOT_TRACKER_DB": f"closebot_bench_tracker_{run_id}",
                                  "CLOSEBOT_RABBITMQ_QUEUE": f"closebot_bench_events_{run_id}",
                                  "CLOSEBOT_REDIS_PREFIX": f"closebotbench{run_id}"})
            self._pg = Postgres(env)
            self._pg.create(env["CLOSEBOT_TRACKER_DB"])
            db_url = self._pg.url(self._pg.create(f"closebot_bench_store_{run_id}"))
            env["CLOSEBOT_DATABASE_URL"] = db_url
            extra = endpoints_without_action(self.endpoints)
        if self.rasa_workers:
            env["SANIC_WORKERS"] = str(self.rasa_workers)
        if self.action_workers:
            env["ACTION_SERVER_SANIC_WORKERS"] = str(self.action_workers)
        self._env = env
        self.db_url = db_url
        kwargs: Dict[str, Any] = {}
        if self.name == "stock":
            kwargs = {"cwd": self.model.parent.parent, "with_actions": False, "load_demo": False}
        if self.replicas == 1:
            self.stack = Stack(self.workdir, model=self.model, db_url=db_url, env=env,
                               endpoints_extra=extra, **kwargs)
            return self.stack
        stacks: List[Stack] = []
        try:
            for i in range(self.replicas):  # the first loads the demo scenario into the shared store
                stacks.append(Stack(self.workdir / f"replica{i + 1}", model=self.model, db_url=db_url, env=env,
                                    endpoints_extra=extra, load_demo=i == 0, **kwargs))
        except Exception:
            Replicas(stacks).stop()
            raise
        self.stack = Replicas(stacks)
        return self.stack

    def stop(self) -> None:
        """Stop the servers and remove what ``start`` created."""
        if self.stack:
            self.stack.stop()
        if self._pg:
            self._pg.drop_all()
            delete_queue(self._env)

    @property
    def label(self) -> str:
        """The name the report shows, e.g. ``closebot (default r1/a1)``."""
        workers = f" r{self.rasa_workers or 1}/a{self.action_workers or 1}" if self.name != "stock" else ""
        if self.replicas > 1:
            workers += f" x{self.replicas} replicas"
        return f"{self.name} ({self.profile}{workers})" if self.name != "stock" else "stock rasa init"
