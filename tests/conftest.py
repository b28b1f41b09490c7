"""Shared fixtures: real SQLite databases, the demo scenario, free ports, running servers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from bot.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bot" / "scenarios" / "demo.yml"
MODEL = ROOT / "models" / "closebot.tar.gz"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'closebot.db'}"


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on a fresh, empty SQLite database file."""
    factory = sessionmaker(bind=get_engine(db_url), future=True, expire_on_commit=False)
    with factory() as s:
        yield s


@pytest.fixture
def demo_session(session: Session) -> Session:
    """A session on a database holding the demo scenario."""
    from bot.scenario.load import load_file

    load_file(session, DEMO)
    session.commit()
    return session


def wait_for(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


class Servers:
    """A real action server and Rasa server on free ports, sharing one SQLite database."""

    def __init__(self, workdir: Path):
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run scripts/setup.sh first (make test does)")
        self.db_url = f"sqlite:///{workdir / 'e2e.db'}"
        self.action_port, self.rasa_port = free_port(), free_port()
        self.env = {**os.environ, "CLOSEBOT_DATABASE_URL": self.db_url}
        subprocess.run([str(BIN / "closebot"), "scenario", "load", str(DEMO)],
                       env=self.env, check=True, capture_output=True)
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n')
        self.logs = [workdir / "actions.log", workdir / "rasa.log"]
        self.procs = [
            subprocess.Popen(
                [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port)],
                cwd=ROOT, env=self.env, stdout=self.logs[0].open("w"), stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [str(BIN / "rasa"), "run", "--enable-api", "--port", str(self.rasa_port),
                 "-m", str(MODEL), "--endpoints", str(endpoints),
                 "--credentials", str(ROOT / "credentials.yml")],
                cwd=ROOT, env=self.env, stdout=self.logs[1].open("w"), stderr=subprocess.STDOUT,
            ),
        ]
        try:
            wait_for(f"http://127.0.0.1:{self.action_port}/health", 120, self.procs[0], self.logs[0])
            wait_for(f"http://127.0.0.1:{self.rasa_port}/status", 240, self.procs[1], self.logs[1])
        except Exception:
            self.stop()
            raise

    def say(self, sender: str, text: str) -> list:
        response = requests.post(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook",
            json={"sender": sender, "message": text}, timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("servers"))
    yield running
    running.stop()
