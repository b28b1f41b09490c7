"""The cost of each layer of one turn (NLU, policy, action server, database), timed alone.

A whole turn's latency does not say where the time goes; timing each layer sequentially on
an idle stack does.
"""

import json
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional

import requests

from bench.common import summary_ms
from bench.latency.conversations import Script, check_reply
from harness.stack import Stack, reply_text


def _timed(fn: Callable[[], Any], samples: int) -> List[float]:
    """Seconds of each of ``samples`` calls of ``fn``, one after the other."""
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
    ``/webhook`` with the body Rasa sends, and the database work of ``bot.conversation`` in-process.
    Each HTTP figure includes a localhost round trip and JSON (de)serialisation.
    """
    http = stack.api  # Rasa's HTTP API needs its token
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
    if not tracker.get("slots", {}).get("has_blockers"):
        raise RuntimeError(f"conversation {sender} has no diagnosis to send to the action server")
    out: Dict[str, Any] = {}
    # What a correct answer contains, so a fast apology is never timed as the real work.
    expected = {"action_diagnose_close": "SO-1042", "action_greet": "Hi "}
    for action, needle in expected.items():
        body = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": domain,
                "version": version}

        def call(body: Dict[str, Any] = body, needle: str = needle) -> None:
            response = http.post(f"{stack.action_url}/webhook", json=body, headers=stack.action_headers)
            response.raise_for_status()
            if needle not in reply_text(response.json().get("responses")):
                raise RuntimeError(f"{body['next_action']} answered wrongly: {response.text[:300]}")

        out[f"action_server:{action}"] = summary_ms(_timed(call, samples))
    out["action_request_kb"] = round(len(json.dumps({"tracker": tracker, "domain": domain})) / 1024, 1)
    return out


def db_costs(db_url: str, samples: int) -> Dict[str, Any]:
    """``bot.conversation`` in this process on the stack's database, one session per call as actions do."""
    from bot.conversation import employee
    from bot.diagnosis.engine import diagnose
    from bot.store.db import session_scope

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(db_url) as session:
                return fn(session, *args, **kwargs)
        return call

    from bot.conversation import view

    run(employee.open_ticket, "u-mei", note=None, idempotency_key="bench-layer-ticket",
        conversation="bench-layers")()
    ticket = run(lambda s: view.load(s, "bench-layers", "u-mei").ticket)()
    return {
        "db:greet": summary_ms(_timed(run(employee.greet, "u-mei"), samples)),
        "db:diagnose (SQL checks only)": summary_ms(_timed(
            run(lambda s: diagnose(s, "C100", period="2026-11", module="general_ledger", user_id="u-mei",
                                   status=None)),
            samples)),
        "db:diagnose_close (+ render, audit)": summary_ms(_timed(run(employee.diagnose_close, "u-mei"), samples)),
        "db:ticket_status": summary_ms(_timed(run(employee.ticket_status, "u-mei", ticket), samples)),
    }
