"""Start the real stack (action server + Rasa server) on free ports, for tests, benchmarks and scripts.

One implementation for both, so the benchmarks measure exactly what the end-to-end tests
exercise. The Rasa server is started with ``--enable-api`` so benchmarks can time NLU parsing
and policy prediction separately from a whole turn.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from harness.telemetry import rasa_environment

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bot" / "scenarios" / "demo.yml"
MODEL = ROOT / "models" / "closebot.tar.gz"
BIN = Path(sys.executable).parent


def reply_text(messages: Any) -> str:
    """All texts of a REST channel answer, one per line (images and buttons ignored)."""
    if not isinstance(messages, list):
        return ""
    return "\n".join(str(m.get("text", "")) for m in messages if isinstance(m, dict))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> float:
    """Poll ``url`` until it answers 2xx; return the seconds waited. Fails fast if ``proc`` dies."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


class Stack:
    """A real action server and Rasa server on free ports, sharing one database.

    ``with_actions=False`` starts only the Rasa server (for the stock ``rasa init``
    reference assistant, which has no custom actions). ``cwd`` is the project the
    model belongs to. ``load_demo`` loads the demo scenario into a fresh SQLite file.
    """

    def __init__(
        self,
        workdir: Path,
        model: Path = MODEL,
        cwd: Path = ROOT,
        with_actions: bool = True,
        load_demo: bool = True,
        db_url: Optional[str] = None,
        env: Optional[Dict[str, str]] = None,
        endpoints_extra: str = "",
        interface: str = "127.0.0.1",
    ):
        if not Path(model).exists():
            raise RuntimeError(f"{model} is missing: run scripts/setup.sh first (make test does)")
        workdir.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url or f"sqlite:///{workdir / 'e2e.db'}"
        self.action_port, self.rasa_port = free_port(), free_port()
        #: Rasa's HTTP API answers only with this token (``?token=``); ``api`` sends it.
        self.api_token = secrets.token_urlsafe(24)
        self.env = self.environment(self.db_url, env)
        self.procs: List[subprocess.Popen] = []
        if load_demo:
            subprocess.run([str(BIN / "closebot"), "scenario", "load", str(DEMO)],
                           env=self.env, check=True, capture_output=True)
        endpoints = workdir / "endpoints.yml"
        text = endpoints_extra
        if with_actions:
            text = f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n' + text
        endpoints.write_text(text or "{}\n")
        self.logs = [workdir / "actions.log", workdir / "rasa.log"]
        started = time.monotonic()
        if with_actions:
            self.procs.append(self._launch_actions("w"))
        credentials = ROOT / "credentials.yml"
        if not with_actions:  # the stock assistant: Rasa's own REST channel, none of ours
            credentials = workdir / "credentials.yml"
            credentials.write_text("rest:\n")
        self.procs.append(subprocess.Popen(
            [str(BIN / "rasa"), "run", "--interface", interface, "--port", str(self.rasa_port),
             "--enable-api", f"--auth-token={self.api_token}",  # "=": a token may start with "-"
             "-m", str(model), "--endpoints", str(endpoints), "--credentials", str(credentials)],
            cwd=cwd, env=self.env, stdout=self.logs[1].open("w"), stderr=subprocess.STDOUT,
        ))
        try:
            if with_actions:
                wait_for(f"{self.action_url}/health", 120, self.procs[0], self.logs[0])
            wait_for(f"{self.rasa_url}/status?token={self.api_token}", 240, self.rasa_proc, self.logs[1])
        except Exception:
            self.stop()
            raise
        #: seconds from launching the processes until both answered their health checks
        self.ready_seconds = time.monotonic() - started

    def _launch_actions(self, mode: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port)],
            cwd=ROOT, env=self.env, stdout=self.logs[0].open(mode), stderr=subprocess.STDOUT,
        )

    def restart_actions(self) -> None:
        """Start the action server again on its port (after a test stopped or killed it)."""
        if self.action_proc is not None and self.action_proc.poll() is None:
            raise RuntimeError("the action server is still running")
        self.procs[0] = self._launch_actions("a")
        wait_for(f"{self.action_url}/health", 120, self.procs[0], self.logs[0])

    @staticmethod
    def environment(db_url: str, env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """What both servers run with: this process's environment, the database, a fresh action
        token, then ``env``; Rasa's telemetry off unless one of those turned it on."""
        return rasa_environment({**os.environ, "CLOSEBOT_DATABASE_URL": db_url,
                                 "CLOSEBOT_ACTION_TOKEN": secrets.token_urlsafe(24), **(env or {})})

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def api(self) -> requests.Session:
        """A session for Rasa's HTTP API, with its token."""
        session = requests.Session()
        session.params = {"token": self.api_token}
        return session

    @property
    def action_headers(self) -> Dict[str, str]:
        """What a direct call to the action server must carry (the Rasa server sends the same)."""
        return {"Authorization": f"Bearer {self.env['CLOSEBOT_ACTION_TOKEN']}"}

    @property
    def rasa_proc(self) -> subprocess.Popen:
        return self.procs[-1]

    @property
    def action_proc(self) -> Optional[subprocess.Popen]:
        return self.procs[0] if len(self.procs) > 1 else None

    def say(self, sender: str, text: str, timeout: float = 60) -> list:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text}, timeout=timeout,
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

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
