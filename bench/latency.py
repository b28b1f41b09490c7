"""Turn latency, throughput, capacity and per-layer cost of the real stack (``make bench-latency``).

Simulated users hold complete conversations over the REST channel against the real Rasa
server and action server (``harness.stack.Stack``): greet, report a blocked close (diagnosis),
next blocker, open a ticket, add a note (ticket number), ticket status. Every reply is checked;
a wrong answer, an HTTP error or a timeout counts as an error. The stock ``rasa init`` assistant
goes through the same harness in the same run, and Closebot's figures are reported as ratios
to it, which stay meaningful on a busy machine where absolute milliseconds do not.

Each simulated conversation has its own sender id, ``<demo user>:<run>-<user>-<conversation>``
(``bot.access.user_id_of`` maps it back to the demo user), so parallel conversations get their
own tracker and lock, as real users would, instead of serialising on one.

Load is generated with asyncio + aiohttp in this process (one keep-alive connection per user):
a thread per user would spend the GIL the servers need on this 2-core machine.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import aiohttp
import requests

from bench.common import ROOT, log, print_table, rss_mb, summary_ms, write_results
from harness.stack import BIN, MODEL, Stack

REFERENCE_DIR = ROOT / "build" / "bench" / "rasa_init"
PRODUCTION_ENDPOINTS = ROOT / "endpoints.production.yml"
PRODUCTION_ENV = ROOT / "production.env"
REQUEST_TIMEOUT = 30.0
#: The issue's targets (Closebot, default profile, on the 2-core machine).
TARGETS = {"p95_1_user_ms": 150.0, "p95_32_users_ms": 500.0, "rasa_rss_mb": 1500.0}

Check = Callable[[str, Dict[str, str]], Optional[str]]


# ---- conversations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One user message; ``text`` may use ``{ticket}`` etc. from earlier turns' captures."""

    name: str
    text: str
    check: Check


@dataclass(frozen=True)
class Script:
    """A complete conversation and the sender ids it is held under."""

    assistant: str
    turns: Tuple[Turn, ...]
    users: Tuple[str, ...]

    def sender(self, tag: str, user: int, conversation: int) -> str:
        """A unique sender id per conversation that still names a real (demo) user."""
        return f"{self.users[user % len(self.users)]}:{tag}-{user}-{conversation}"


def contains(*needles: str) -> Check:
    """The reply must contain every needle (they are what a person would look for)."""

    def check(reply: str, _state: Dict[str, str]) -> Optional[str]:
        missing = [n for n in needles if n not in reply]
        return f"missing {missing}" if missing else None

    return check


def captures(name: str, pattern: str) -> Check:
    """The reply must match ``pattern``; the match is remembered as ``{name}`` for later turns."""
    regex = re.compile(pattern)

    def check(reply: str, state: Dict[str, str]) -> Optional[str]:
        found = regex.search(reply)
        if not found:
            return f"no {name}"
        state[name] = found.group(0)
        return None

    return check


def contains_captured(name: str, *needles: str) -> Check:
    """The reply must name the value captured earlier (e.g. the ticket just opened)."""

    def check(reply: str, state: Dict[str, str]) -> Optional[str]:
        return contains(state.get(name, f"<{name}>"), *needles)(reply, state)

    return check


#: Demo users of C100 (blocked in 2026-11, first root cause SO-1042); u-sam's C200 can close.
CLOSEBOT = Script("closebot", (
    Turn("greet", "hi", contains("Hi ", "Closebot")),
    Turn("diagnose", "I can't close November, the GL says 业务系统未结账",
         contains("C100", "2026-11", "SO-1042", "Fix:", "Who:")),
    Turn("next", "what else?", contains("2/")),
    Turn("open_ticket", "please open a ticket for this", contains("Anything to add")),
    Turn("ticket_note", "customer confirms the SO-1042 price tomorrow", captures("ticket", r"CLS-\d{6}")),
    Turn("status", "status of {ticket}", contains_captured("ticket", "new")),
), ("u-mei", "u-alex", "u-lin", "u-hana", "u-omar", "u-root"))

#: The moodbot `rasa init` creates: its own happy and sad paths.
STOCK = Script("stock", (
    Turn("greet", "hello", contains("Hey! How are you?")),
    Turn("mood_unhappy", "I am sad", contains("cheer you up", "Did that help you?")),
    Turn("affirm", "yes", contains("Great, carry on!")),
    Turn("goodbye", "bye", contains("Bye")),
), ("bench",))


def reply_text(messages: Any) -> str:
    """All texts of a REST channel answer, one per line (images and buttons ignored)."""
    if not isinstance(messages, list):
        return ""
    return "\n".join(str(m.get("text", "")) for m in messages if isinstance(m, dict))


def check_reply(turn: Turn, messages: Any, state: Dict[str, str]) -> Optional[str]:
    """None when the reply is right, else what was wrong (an empty answer is always wrong)."""
    text = reply_text(messages)
    if not text.strip():
        return "empty reply"
    problem = turn.check(text, state)
    return f"{turn.name}: {problem}" if problem else None


# ---- load ---------------------------------------------------------------------------------


@dataclass
class TurnRecord:
    """One measured turn: which, when it started (monotonic s), how long, what went wrong."""

    turn: str
    started: float
    seconds: float
    error: Optional[str] = None


@dataclass
class Plan:
    """How simulated users behave: how long, how many conversations, how long they think."""

    users: int
    conversations: Optional[int] = None  # per user; None: until ``duration`` is over
    duration: Optional[float] = None
    think: float = 0.0  # mean seconds between a reply and the next message (uniform 0.5x..1.5x)
    ramp: float = 0.0  # users start spread over this many seconds; turns started earlier are not measured
    tag: str = "r"
    seed: int = 7


async def _hold_conversations(
    client: aiohttp.ClientSession, url: str, script: Script, plan: Plan, user: int,
    records: List[TurnRecord], t0: float,
) -> None:
    """One simulated user: conversation after conversation until the plan says stop."""
    rng = random.Random(plan.seed * 1000 + user)
    if plan.ramp:
        await asyncio.sleep(rng.uniform(0, plan.ramp))
    measure_from = t0 + plan.ramp
    deadline = t0 + plan.ramp + plan.duration if plan.duration is not None else None
    conversation = 0
    while plan.conversations is None or conversation < plan.conversations:
        sender = script.sender(plan.tag, user, conversation)
        state: Dict[str, str] = {}
        for turn in script.turns:
            if deadline is not None and time.monotonic() >= deadline:
                return
            started = time.monotonic()
            error = await _send(client, url, sender, turn.text.format(**state), turn, state)
            if started >= measure_from:
                records.append(TurnRecord(turn.name, started, time.monotonic() - started, error))
            if plan.think:
                await asyncio.sleep(plan.think * rng.uniform(0.5, 1.5))
            if error:
                break  # the rest of this conversation builds on the failed turn
        conversation += 1


async def _send(
    client: aiohttp.ClientSession, url: str, sender: str, text: str, turn: Turn, state: Dict[str, str]
) -> Optional[str]:
    try:
        async with client.post(url, json={"sender": sender, "message": text}) as response:
            if response.status != 200:
                return f"HTTP {response.status}"
            messages = await response.json(content_type=None)
    except asyncio.TimeoutError:
        return "timeout"
    except (aiohttp.ClientError, ValueError) as exc:
        return type(exc).__name__
    return check_reply(turn, messages, state)


async def _run_plan(rasa_url: str, script: Script, plan: Plan) -> Tuple[List[TurnRecord], float]:
    records: List[TurnRecord] = []
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(
            _hold_conversations(client, f"{rasa_url}/webhooks/rest/webhook", script, plan, u, records, t0)
            for u in range(plan.users)
        ))
    return records, time.monotonic() - t0


def run_load(rasa_url: str, script: Script, plan: Plan) -> Tuple[List[TurnRecord], float]:
    """Run ``plan`` against a running Rasa server; the turn records and the wall time."""
    return asyncio.run(_run_plan(rasa_url, script, plan))


def aggregate(records: Sequence[TurnRecord]) -> Dict[str, Any]:
    """Latency percentiles (ms) of all turns and per turn, messages per second and errors.

    Throughput counts correct answers over the measured window (first start to last finish),
    so a short warm-up tail or an idle ramp does not dilute it.
    """
    if not records:
        return {"turns": 0, "errors": 0, "msgs_per_s": 0.0, "latency_ms": {"n": 0}, "per_turn": {}}
    ok = [r for r in records if r.error is None]
    window = max(r.started + r.seconds for r in records) - min(r.started for r in records)
    kinds: Dict[str, int] = {}
    for r in records:
        if r.error:
            kind = r.error.split(":")[0] if r.error.startswith("HTTP") else r.error
            kinds[kind] = kinds.get(kind, 0) + 1
    per_turn: Dict[str, Dict[str, float]] = {}
    for name in dict.fromkeys(r.turn for r in records):
        per_turn[name] = summary_ms([r.seconds for r in records if r.turn == name])
    return {
        "turns": len(records),
        "errors": len(records) - len(ok),
        "error_kinds": kinds,
        "msgs_per_s": round(len(ok) / window, 2) if window > 0 else 0.0,
        "latency_ms": summary_ms([r.seconds for r in records]),
        "per_turn": per_turn,
    }


# ---- processes: memory and CPU -------------------------------------------------------------


def process_tree(pid: int) -> List[int]:
    """``pid`` and all its descendants (Sanic workers are child processes)."""
    found = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found.extend(process_tree(int(child)))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def cpu_seconds(pid: int, tree: bool = True) -> float:
    """User+system CPU seconds used so far by a process (and its descendants) (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid) if tree else [pid]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / ticks


class Sampler:
    """Samples the resident memory of some process trees in a thread while load runs."""

    def __init__(self, pids: Dict[str, int], interval: float = 0.5):
        """``pids`` by name; the one named ``client`` is counted without its children."""
        import threading

        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.interval = interval
        self.samples: Dict[str, List[float]] = {name: [] for name in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu0 = {name: self._cpu(name, pid) for name, pid in self.pids.items()}
        self.cpu: Dict[str, float] = {}

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.samples[name].append(rss_mb(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = {name: self._cpu(name, pid) - self._cpu0[name] for name, pid in self.pids.items()}

    @staticmethod
    def _cpu(name: str, pid: int) -> float:
        # The servers are this process's children: the client is this process alone.
        return cpu_seconds(pid, tree=name != "client")

    def peak(self) -> Dict[str, float]:
        return {name: max(values, default=0.0) for name, values in self.samples.items()}


def stack_pids(stack: Stack) -> Dict[str, int]:
    action = stack.action_proc
    return {"rasa": stack.rasa_proc.pid, "action": action.pid if action else 0}


def load_pids(stack: Stack) -> Dict[str, int]:
    """The servers plus this process, whose CPU the load generator takes from the same cores."""
    return {**stack_pids(stack), "client": os.getpid()}


def measure_level(stack: Stack, script: Script, plan: Plan) -> Dict[str, Any]:
    """One load level: the aggregate, peak memory and CPU milliseconds per correct turn."""
    with Sampler(load_pids(stack)) as sampler:
        records, wall = run_load(stack.rasa_url, script, plan)
    result = aggregate(records)
    ok = max(1, result["turns"] - result["errors"])
    result["users"] = plan.users
    result["wall_s"] = round(wall, 1)
    result["rss_peak_mb"] = {k: v for k, v in sampler.peak().items() if k != "client"}
    result["cpu_ms_per_turn"] = {name: round(1000 * s / ok, 1) for name, s in sampler.cpu.items()}
    return result


# ---- capacity with think time ---------------------------------------------------------------


def search_capacity(probe: Callable[[int], bool], start: int, max_users: int) -> Tuple[int, bool]:
    """The largest user count ``probe`` accepts, assuming acceptance falls off monotonically.

    Doubles from ``start`` while probes pass (halves when even ``start`` fails), then bisects
    between the last passing and the first failing count until they are within 10 %. Returns
    the count (0 if even one user fails) and whether ``max_users`` passed (the real capacity
    may be higher).
    """
    good, bad = 0, None
    users = max(1, min(start, max_users))
    if probe(users):
        good = users
        while users < max_users:
            users = min(users * 2, max_users)
            if not probe(users):
                bad = users
                break
            good = users
    else:
        bad = users
        while users > 1:
            users //= 2
            if probe(users):
                good = users
                break
            bad = users
    if bad is None:
        return good, True
    while bad - good > max(1, good // 10):
        middle = (good + bad) // 2
        if probe(middle):
            good = middle
        else:
            bad = middle
    return good, False


def find_capacity(
    stack: Stack, script: Script, think: float, slo_ms: float, step_seconds: float,
    start: int = 8, max_users: int = 512, tag: str = "cap",
) -> Dict[str, Any]:
    """The most concurrent users (mean ``think`` s between messages) served at p95 <= ``slo_ms``.

    Measured, not derived (``search_capacity``). Every probe ramps its users in over one think
    time, then measures for ``step_seconds``; a probe with any error fails.
    """
    probes: List[Dict[str, Any]] = []

    def probe(users: int) -> bool:
        plan = Plan(users=users, duration=step_seconds, think=think, ramp=think,
                    tag=f"{tag}{users}", seed=users)
        result = measure_level(stack, script, plan)
        p95 = result["latency_ms"].get("p95", float("inf"))
        ok = result["turns"] > 0 and result["errors"] == 0 and p95 <= slo_ms
        probes.append({"users": users, "ok": ok, "turns": result["turns"], "errors": result["errors"],
                       "error_kinds": result["error_kinds"], "p95_ms": p95,
                       "p50_ms": result["latency_ms"].get("p50"),
                       "msgs_per_s": result["msgs_per_s"], "rss_peak_mb": result["rss_peak_mb"],
                       "cpu_ms_per_turn": result["cpu_ms_per_turn"]})
        log(f"  capacity probe {users} users: p95 {p95} ms, {result['errors']} errors -> {'ok' if ok else 'over'}")
        return ok

    good, capped = search_capacity(probe, start, max_users)
    best = next((p for p in probes if p["users"] == good and p["ok"]), None)
    return {"users": good, "think_s": think, "slo_p95_ms": slo_ms, "capped": capped,
            "at_capacity": best, "probes": probes}


# ---- the cost of each layer -------------------------------------------------------------


def _timed(fn: Callable[[], Any], samples: int) -> List[float]:
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - started)
    return durations


def layer_costs(stack: Stack, script: Script, samples: int, db_url: Optional[str] = None) -> Dict[str, Any]:
    """Time each layer of one turn on its own, sequentially on an idle stack.

    NLU (``/model/parse``), policy prediction (``/conversations/<id>/predict`` on a tracker whose
    last event is a fresh user message, right after the diagnosis), the action server's
    ``/webhook`` with the body Rasa sends, and the database work of ``bot.assistant`` in-process.
    Each HTTP figure includes a localhost round trip and JSON (de)serialisation.
    """
    http = requests.Session()
    rasa = stack.rasa_url
    out: Dict[str, Any] = {}
    texts = [t.text for t in script.turns if "{" not in t.text]
    cycle = iter(texts * samples)
    out["nlu_parse"] = summary_ms(_timed(
        lambda: http.post(f"{rasa}/model/parse", json={"text": next(cycle)}).raise_for_status(), samples))

    # A conversation up to the second turn, then the third user message appended unprocessed.
    sender = script.sender("layers", 0, 0)
    state: Dict[str, str] = {}
    for turn in script.turns[:2]:
        answer = http.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": turn.text})
        answer.raise_for_status()
        problem = check_reply(turn, answer.json(), state)
        if problem:
            raise RuntimeError(f"layer set-up conversation went wrong: {problem}")
    quoted = urllib.parse.quote(sender, safe=":")  # Rasa does not unquote the path: keep ids URL-safe
    user_text = script.turns[2].text
    parse = http.post(f"{rasa}/model/parse", json={"text": user_text}).json()
    http.post(f"{rasa}/conversations/{quoted}/tracker/events",
              json={"event": "user", "text": user_text, "parse_data": parse}).raise_for_status()
    predicted = http.post(f"{rasa}/conversations/{quoted}/predict").json()
    out["predicted_action"] = predicted["scores"][0]["action"]
    out["policy_predict"] = summary_ms(_timed(
        lambda: http.post(f"{rasa}/conversations/{quoted}/predict").raise_for_status(), samples))

    if stack.action_proc is not None:
        out.update(action_costs(stack, http, sender, samples))
        out.update(db_costs(db_url or stack.db_url, samples))
    return out


def action_costs(stack: Stack, http: requests.Session, sender: str, samples: int) -> Dict[str, Any]:
    """The action server's share: the request Rasa would send for the diagnosis and the greeting."""
    quoted = urllib.parse.quote(sender, safe=":")
    tracker = http.get(f"{stack.rasa_url}/conversations/{quoted}/tracker",
                       params={"include_events": "ALL"}).json()
    domain = http.get(f"{stack.rasa_url}/domain", headers={"Accept": "application/json"}).json()
    version = http.get(f"{stack.rasa_url}/version").json()["version"]
    if not tracker.get("slots", {}).get("last_diagnosis"):
        raise RuntimeError(f"conversation {sender} has no diagnosis to send to the action server")
    out: Dict[str, Any] = {}
    # What a correct answer contains, so a fast apology is never timed as the real work.
    expected = {"action_diagnose_close": "SO-1042", "action_greet": "Hi "}
    for action, needle in expected.items():
        body = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": domain,
                "version": version}

        def call(body: Dict[str, Any] = body, needle: str = needle) -> None:
            response = http.post(f"{stack.action_url}/webhook", json=body)
            response.raise_for_status()
            if needle not in reply_text(response.json().get("responses")):
                raise RuntimeError(f"{body['next_action']} answered wrongly: {response.text[:300]}")

        out[f"action_server:{action}"] = summary_ms(_timed(call, samples))
    out["action_request_kb"] = round(len(json.dumps({"tracker": tracker, "domain": domain})) / 1024, 1)
    return out


def db_costs(db_url: str, samples: int) -> Dict[str, Any]:
    """``bot.assistant`` in this process on the stack's database, one session per call as actions do."""
    from bot import assistant
    from bot.db import session_scope
    from bot.diagnosis.engine import diagnose

    def run(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(db_url) as session:
                return fn(session, *args)
        return call

    ticket = run(assistant.open_ticket, "u-mei", None, "bench", "bench-layer-ticket")().slots["ticket_number"]
    return {
        "db:greet": summary_ms(_timed(run(assistant.greet, "u-mei"), samples)),
        "db:diagnose (SQL checks only)": summary_ms(_timed(
            run(lambda s: diagnose(s, "C100", period="2026-11", module="general_ledger", user_id="u-mei")),
            samples)),
        "db:diagnose_close (+ render, audit)": summary_ms(_timed(run(assistant.diagnose_close, "u-mei"), samples)),
        "db:ticket_status": summary_ms(_timed(run(assistant.ticket_status, "u-mei", ticket), samples)),
    }


# ---- assistants, profiles -----------------------------------------------------------------


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

    def __init__(self, env: Dict[str, str]):
        self.env = env
        self.created: List[str] = []

    def _admin(self) -> Any:
        import psycopg2

        conn = psycopg2.connect(
            host=self.env["CLOSEBOT_PG_HOST"], port=int(self.env["CLOSEBOT_PG_PORT"]),
            user=self.env["CLOSEBOT_PG_USER"], password=self.env.get("CLOSEBOT_PG_PASSWORD") or None,
            dbname="postgres")
        conn.autocommit = True
        return conn

    def create(self, name: str) -> str:
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
        e = self.env
        auth = e["CLOSEBOT_PG_USER"] + (f":{e['CLOSEBOT_PG_PASSWORD']}" if e.get("CLOSEBOT_PG_PASSWORD") else "")
        return f"postgresql+psycopg2://{auth}@{e['CLOSEBOT_PG_HOST']}:{e['CLOSEBOT_PG_PORT']}/{name}"

    def drop_all(self) -> None:
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


class Assistant:
    """Start one assistant (Closebot in a profile, or the stock moodbot) and clean up after it."""

    def __init__(self, name: str, model: Path, workdir: Path, profile: str = "default",
                 rasa_workers: Optional[int] = None, action_workers: Optional[int] = None,
                 endpoints: Path = PRODUCTION_ENDPOINTS):
        self.name, self.model, self.workdir, self.profile = name, model, workdir, profile
        self.endpoints = endpoints
        self.rasa_workers, self.action_workers = rasa_workers, action_workers
        self.script = STOCK if name == "stock" else CLOSEBOT
        self.stack: Optional[Stack] = None
        self._pg: Optional[Postgres] = None
        self._env: Dict[str, str] = {}
        self.db_url: Optional[str] = None

    def start(self) -> Stack:
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
        self.stack = Stack(self.workdir, model=self.model, db_url=db_url, env=env,
                           endpoints_extra=extra, **kwargs)
        return self.stack

    def stop(self) -> None:
        if self.stack:
            self.stack.stop()
        if self._pg:
            self._pg.drop_all()
            delete_queue(self._env)

    @property
    def label(self) -> str:
        workers = f" r{self.rasa_workers or 1}/a{self.action_workers or 1}" if self.name != "stock" else ""
        return f"{self.name} ({self.profile}{workers})" if self.name != "stock" else "stock rasa init"


def warm_up(stack: Stack, script: Script, conversations: int) -> None:
    """First requests build TensorFlow graphs and fill caches: not what a user normally sees."""
    if conversations <= 0:
        return
    records, _ = run_load(stack.rasa_url, script, Plan(users=4, conversations=conversations, tag="warm"))
    bad = [r.error for r in records if r.error]
    if bad:
        log(f"  warm-up errors: {bad[:5]}")


def bench_assistant(assistant: Assistant, args: argparse.Namespace) -> Dict[str, Any]:
    """Everything measured for one assistant: levels, capacity, layers, memory, start-up."""
    log(f"starting {assistant.label}")
    stack = assistant.start()
    script = assistant.script
    try:
        out: Dict[str, Any] = {"label": assistant.label, "profile": assistant.profile,
                               "ready_seconds": round(stack.ready_seconds, 1)}
        warm_up(stack, script, args.warmup)
        pids = stack_pids(stack)
        out["rss_rest_mb"] = {name: rss_mb(pid) for name, pid in pids.items() if pid}
        levels: Dict[str, Any] = {}
        for users in args.users:
            log(f"  {users} users ...")
            plan = Plan(users=users, conversations=args.conversations,
                        duration=None if args.conversations else args.duration, tag=f"u{users}")
            levels[str(users)] = measure_level(stack, script, plan)
            s = levels[str(users)]
            log(f"  {users} users: p50 {s['latency_ms'].get('p50')} p95 {s['latency_ms'].get('p95')} ms, "
                f"{s['msgs_per_s']} msg/s, {s['errors']} errors")
        out["levels"] = levels
        if args.capacity_step > 0:
            log("  capacity with think time ...")
            out["capacity"] = find_capacity(stack, script, args.think, args.slo_ms, args.capacity_step,
                                            start=args.capacity_start, max_users=args.capacity_max)
        if args.layer_samples > 0:
            out["layers"] = layer_costs(stack, script, args.layer_samples, assistant.db_url)
        peaks = [lv["rss_peak_mb"] for lv in levels.values()]
        peaks += [p["rss_peak_mb"] for p in out.get("capacity", {}).get("probes", [])]
        out["rss_load_peak_mb"] = {name: max(p.get(name, 0.0) for p in peaks) for name in out["rss_rest_mb"]}
        return out
    finally:
        assistant.stop()


# ---- report ---------------------------------------------------------------------------------


def _ratio(ours: Optional[float], theirs: Optional[float]) -> Optional[float]:
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)


def ratios(ours: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Any]:
    """Closebot / stock for every figure both have (below 1 is better, except msg/s and capacity)."""
    out: Dict[str, Any] = {"levels": {}}
    for users, level in ours.get("levels", {}).items():
        ref = stock.get("levels", {}).get(users)
        if not ref:
            continue
        out["levels"][users] = {
            **{p: _ratio(level["latency_ms"].get(p), ref["latency_ms"].get(p)) for p in ("p50", "p95", "p99")},
            "msgs_per_s": _ratio(level["msgs_per_s"], ref["msgs_per_s"]),
        }
    if "capacity" in ours and "capacity" in stock:
        out["capacity_users"] = _ratio(ours["capacity"]["users"], stock["capacity"]["users"])
    if "rss_rest_mb" in ours and "rss_rest_mb" in stock:
        out["rasa_rss_rest"] = _ratio(ours["rss_rest_mb"].get("rasa"), stock["rss_rest_mb"].get("rasa"))
        out["rasa_rss_load_peak"] = _ratio(ours["rss_load_peak_mb"].get("rasa"),
                                           stock["rss_load_peak_mb"].get("rasa"))
    out["ready_seconds"] = _ratio(ours.get("ready_seconds"), stock.get("ready_seconds"))
    for layer in ("nlu_parse", "policy_predict"):
        if layer in ours.get("layers", {}) and layer in stock.get("layers", {}):
            out[layer] = _ratio(ours["layers"][layer].get("p50"), stock["layers"][layer].get("p50"))
    return out


def target_checks(ours: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's targets against this run (absolute: only meaningful on a quiet machine)."""
    checks = []
    levels = ours.get("levels", {})
    for users, key in (("1", "p95_1_user_ms"), ("32", "p95_32_users_ms")):
        if users in levels:
            value = levels[users]["latency_ms"].get("p95")
            checks.append({"target": f"p95 {users} user(s) <= {TARGETS[key]:.0f} ms", "value": value,
                           "ok": value is not None and value <= TARGETS[key]})
    errors = sum(lv["errors"] for lv in levels.values())
    checks.append({"target": "zero errors", "value": errors, "ok": errors == 0})
    rss = ours.get("rss_load_peak_mb", {}).get("rasa")
    if rss is not None:
        checks.append({"target": f"Rasa RSS <= {TARGETS['rasa_rss_mb']:.0f} MB", "value": rss,
                       "ok": rss <= TARGETS["rasa_rss_mb"]})
    return checks


def print_report(results: Dict[str, Dict[str, Any]], all_ratios: Dict[str, Dict[str, Any]]) -> None:
    rows = []
    for name, res in results.items():
        rat = all_ratios.get(name, {}).get("levels", {})
        for users, lv in res.get("levels", {}).items():
            lat = lv["latency_ms"]
            r = rat.get(users, {})
            rows.append([res["label"], users, lv["turns"], lv["errors"], lat.get("p50"), lat.get("p95"),
                         lat.get("p99"), lv["msgs_per_s"], _fmt(r.get("p95")), _fmt(r.get("msgs_per_s")),
                         lv["cpu_ms_per_turn"].get("rasa"), lv["cpu_ms_per_turn"].get("action", "-"),
                         lv["cpu_ms_per_turn"].get("client")])
    print_table(["assistant", "users", "turns", "errors", "p50 ms", "p95 ms", "p99 ms", "msg/s",
                 "p95 x stock", "msg/s x stock", "rasa CPU ms/turn", "action CPU ms/turn", "client CPU ms/turn"],
                rows,
                "Turn latency, closed loop without think time (ratios: Closebot / stock, same run)")

    rows = []
    for res in results.values():
        if res["label"].startswith("stock"):
            continue
        for users, lv in res.get("levels", {}).items():
            for turn, s in lv["per_turn"].items():
                rows.append([res["label"], users, turn, s.get("n"), s.get("p50"), s.get("p95"), s.get("p99")])
    if rows:
        print_table(["assistant", "users", "turn", "n", "p50 ms", "p95 ms", "p99 ms"], rows, "Closebot per turn")

    rows = []
    for name, res in results.items():
        cap = res.get("capacity")
        if cap:
            best = cap.get("at_capacity") or {}
            rows.append([res["label"], f"{cap['users']}{'+' if cap['capped'] else ''}", best.get("p95_ms"),
                         best.get("msgs_per_s"), len(cap["probes"]),
                         _fmt(all_ratios.get(name, {}).get("capacity_users"))])
    if rows:
        print_table(["assistant", "users", "p95 ms there", "msg/s there", "probes", "x stock"], rows,
                    "Capacity: concurrent users with ~5 s think time at p95 <= 300 ms, zero errors")

    rows = []
    for res in results.values():
        rest, peak = res.get("rss_rest_mb", {}), res.get("rss_load_peak_mb", {})
        rows.append([res["label"], res["ready_seconds"], rest.get("rasa"), peak.get("rasa"),
                     rest.get("action", "-"), peak.get("action", "-")])
    print_table(["assistant", "ready s", "rasa RSS rest MB", "rasa RSS peak MB", "action RSS rest MB",
                 "action RSS peak MB"], rows, "Start-up (until /status answers) and resident memory")

    rows = []
    for res in results.values():
        for layer, s in res.get("layers", {}).items():
            if isinstance(s, dict):
                rows.append([res["label"], layer, s.get("n"), s.get("p50"), s.get("p95")])
    if rows:
        print_table(["assistant", "layer", "n", "p50 ms", "p95 ms"], rows,
                    "Cost of each layer of one turn, timed alone on the idle stack")

    rows = []
    for res in results.values():
        for check in res.get("targets", []):
            rows.append([res["label"], check["target"], check["value"], "yes" if check["ok"] else "NO"])
    if rows:
        print_table(["assistant", "target", "this run", "met"], rows,
                    "Targets (absolute: re-run on a quiet machine)")


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"


# ---- main -----------------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32], help="closed-loop levels")
    parser.add_argument("--conversations", type=int, default=None,
                        help="conversations per user per level (default: run --duration seconds)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up conversations of 4 users")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the stock assistant")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--reference-dir", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--profile", nargs="+", choices=["default", "production"], default=["default"],
                        help="production: endpoints.production.yml (PostgreSQL, Redis, RabbitMQ) + workers")
    parser.add_argument("--rasa-workers", type=int, default=None,
                        help="SANIC_WORKERS of the production profile (default: production.env)")
    parser.add_argument("--action-workers", type=int, default=None,
                        help="ACTION_SERVER_SANIC_WORKERS (default: production.env / 1)")
    parser.add_argument("--production-endpoints", type=Path, default=PRODUCTION_ENDPOINTS,
                        help="endpoints file of the production profile (to compare stores)")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time of the capacity search")
    parser.add_argument("--slo-ms", type=float, default=300.0, help="p95 the capacity search must keep")
    parser.add_argument("--capacity-step", type=float, default=30.0,
                        help="measured seconds per capacity probe (0: skip the capacity search)")
    parser.add_argument("--capacity-start", type=int, default=16)
    parser.add_argument("--capacity-max", type=int, default=512)
    parser.add_argument("--layer-samples", type=int, default=40, help="samples per layer (0: skip)")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench" / "latency")
    return parser.parse_args(argv)


def assistants(args: argparse.Namespace) -> Iterator[Tuple[str, Assistant]]:
    for profile in args.profile:
        rasa_workers = args.rasa_workers
        action_workers = args.action_workers
        if profile == "production":
            env = production_env()
            rasa_workers = rasa_workers or int(env.get("SANIC_WORKERS", "1"))
            action_workers = action_workers or int(env.get("ACTION_SERVER_SANIC_WORKERS", "1"))
        elif rasa_workers and rasa_workers > 1:
            raise SystemExit("SANIC_WORKERS > 1 needs the production profile (Rasa ignores it otherwise)")
        yield f"closebot_{profile}", Assistant("closebot", args.model, args.workdir / profile, profile,
                                               rasa_workers, action_workers, args.production_endpoints)
    if not args.skip_reference:
        yield "stock", Assistant("stock", reference_model(args.reference_dir), args.workdir / "stock")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    results: Dict[str, Dict[str, Any]] = {}
    for name, assistant in assistants(args):
        if assistant.workdir.exists():
            shutil.rmtree(assistant.workdir)
        results[name] = bench_assistant(assistant, args)
        if name != "stock":
            results[name]["targets"] = target_checks(results[name])
    all_ratios = {name: ratios(res, results["stock"]) for name, res in results.items()
                  if name != "stock" and "stock" in results}
    print_report(results, all_ratios)
    path = write_results("latency", {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "scripts": {s.assistant: [t.name for t in s.turns] for s in (CLOSEBOT, STOCK)},
        "assistants": results,
        "ratios_to_stock": all_ratios,
        "targets": TARGETS,
    }, args.results_dir)
    log(f"wrote {path}")
    failed = [c for res in results.values() for c in res.get("targets", []) if c["target"] == "zero errors"
              and not c["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
