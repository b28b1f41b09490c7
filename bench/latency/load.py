"""The load generator: simulated users holding conversations over the REST channel.

Load is generated with asyncio + aiohttp in this process (one keep-alive connection per user):
a thread per user would spend the GIL the servers need on this 2-core machine. Each simulated
conversation has its own sender id (``Script.sender``), so parallel conversations get their
own tracker and lock, as real users would, instead of serialising on one.
"""

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import aiohttp

from bench.latency.conversations import Script, Turn, check_reply

REQUEST_TIMEOUT = 30.0


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
    """Send one message; None when the reply passes ``turn``'s check, else what went wrong."""
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


async def _run_plan(rasa_urls: Sequence[str], script: Script, plan: Plan) -> Tuple[List[TurnRecord], float]:
    """All the plan's users at once on one client session (one keep-alive connection each); user
    ``u`` talks to server ``u mod len(rasa_urls)``."""
    records: List[TurnRecord] = []
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(
            _hold_conversations(client, f"{rasa_urls[u % len(rasa_urls)]}/webhooks/rest/webhook", script, plan, u,
                                records, t0)
            for u in range(plan.users)
        ))
    return records, time.monotonic() - t0


def run_load(rasa_url: Union[str, Sequence[str]], script: Script, plan: Plan) -> Tuple[List[TurnRecord], float]:
    """Run ``plan`` against running Rasa servers (one URL, or every replica's); the turn records
    and the wall time."""
    urls = [rasa_url] if isinstance(rasa_url, str) else list(rasa_url)
    return asyncio.run(_run_plan(urls, script, plan))
