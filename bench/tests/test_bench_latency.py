"""bench.latency's parts on tiny inputs: reply checks, aggregation, the capacity search, profiles."""

import os
import urllib.parse
from pathlib import Path

import pytest
import yaml

from bench.latency.capacity import search_capacity
from bench.latency.comparison import ratios, target_checks
from bench.latency.conversations import CLOSEBOT, STOCK, check_reply
from bench.latency.layers import layer_costs
from bench.latency.load import Plan, TurnRecord, run_load
from bench.latency.profiles import PRODUCTION_ENDPOINTS, endpoints_without_action, production_env
from bench.latency.stats import aggregate
from bot.people.access import user_id_of

DIAGNOSIS = [
    {"text": "C100 can't close the general ledger for 2026-11: 8 root causes found."},
    {"text": "1/8 🟠 Sales order SO-1042 (0.00 CNY) has no price\nFix: enter the price\nWho: employee"},
]


def turn(name: str):
    return next(t for t in CLOSEBOT.turns if t.name == name)


def test_a_right_diagnosis_passes_and_a_wrong_one_says_what_is_missing() -> None:
    assert check_reply(turn("diagnose"), DIAGNOSIS, {}) is None
    problem = check_reply(turn("diagnose"), [{"text": "Sorry, something went wrong on my side"}], {})
    assert problem and problem.startswith("diagnose: missing") and "SO-1042" in problem


@pytest.mark.parametrize("reply", [[], [{"image": "https://x/y.png"}], [{"text": "  "}], None, {"error": 1}])
def test_an_empty_or_malformed_reply_is_an_error(reply) -> None:
    assert check_reply(turn("greet"), reply, {}) == "empty reply"


def test_the_ticket_number_is_captured_and_the_status_turn_must_name_it() -> None:
    state: dict = {}
    opened = [{"text": "🎫 Ticket CLS-000042 is open (priority 2, order_error) for C100 2026-11"}]
    assert check_reply(turn("ticket_note"), opened, state) is None
    assert state == {"ticket": "CLS-000042"}
    assert turn("status").text.format(**state) == "status of CLS-000042"
    assert check_reply(turn("status"), [{"text": "CLS-000042: new · priority 2"}], state) is None
    assert check_reply(turn("status"), [{"text": "CLS-000041: new · priority 2"}], state)
    assert check_reply(turn("ticket_note"), [{"text": "I'll open a ticket. Anything to add?"}], {}) == \
        "ticket_note: no ticket"


def test_stock_moodbot_replies() -> None:
    sad = [{"text": "Here is something to cheer you up:", "image": "https://i.imgur.com/x.jpg"},
           {"text": "Did that help you?"}]
    assert check_reply(STOCK.turns[1], sad, {}) is None
    assert check_reply(STOCK.turns[1], [{"text": "Great, carry on!"}], {})


def test_every_conversation_has_its_own_url_safe_sender_naming_a_demo_user() -> None:
    senders = {CLOSEBOT.sender(tag, user, conv) for tag in ("u1", "u8") for user in range(8) for conv in range(3)}
    assert len(senders) == 2 * 8 * 3
    assert {user_id_of(s) for s in senders} <= set(CLOSEBOT.users)
    assert all(urllib.parse.quote(s, safe=":") == s for s in senders)


def test_aggregate_percentiles_throughput_and_errors() -> None:
    records = [TurnRecord("greet", float(i), 0.010 * (i + 1)) for i in range(100)]
    records += [TurnRecord("diagnose", 100.0, 0.5, "HTTP 500"), TurnRecord("diagnose", 100.5, 0.5, "timeout"),
                TurnRecord("diagnose", 101.0, 0.5, "diagnose: missing ['SO-1042']")]
    result = aggregate(records)
    assert result["turns"] == 103 and result["errors"] == 3
    assert result["error_kinds"] == {"HTTP 500": 1, "timeout": 1, "diagnose: missing ['SO-1042']": 1}
    greet = result["per_turn"]["greet"]
    summary = (greet["n"], greet["p50"], greet["p95"], greet["p99"], greet["max"])
    assert summary == (100, 500.0, 950.0, 990.0, 1000.0)
    # 100 correct answers between the first start (0 s) and the last finish (101.5 s)
    assert result["msgs_per_s"] == round(100 / 101.5, 2)
    assert aggregate([])["turns"] == 0


@pytest.mark.parametrize(("capacity", "start", "max_users", "expected"), [
    (100, 16, 512, (100, False)), (5, 16, 512, (5, False)), (0, 16, 512, (0, False)),
    (1000, 16, 512, (512, True)), (16, 16, 512, (16, False)), (40, 16, 64, (40, False)),
])
def test_capacity_search_finds_the_limit_within_ten_percent(capacity, start, max_users, expected) -> None:
    probed = []

    def probe(users: int) -> bool:
        probed.append(users)
        return users <= capacity

    found, capped = search_capacity(probe, start, max_users)
    assert capped == expected[1]
    assert found <= expected[0] and found >= expected[0] - max(1, expected[0] // 10)
    assert len(probed) <= 16 and max(probed) <= max_users


def test_ratios_and_targets() -> None:
    def level(p95: float, rate: float) -> dict:
        return {"latency_ms": {"p50": p95 / 2, "p95": p95, "p99": p95}, "msgs_per_s": rate, "errors": 0}

    ours = {"levels": {"1": level(50, 30), "32": level(600, 40)}, "rss_rest_mb": {"rasa": 900},
            "rss_load_peak_mb": {"rasa": 950}, "ready_seconds": 5, "capacity": {"users": 150}}
    stock = {"levels": {"1": level(100, 20), "32": level(1800, 20)}, "rss_rest_mb": {"rasa": 1400},
             "rss_load_peak_mb": {"rasa": 1400}, "ready_seconds": 27, "capacity": {"users": 100}}
    r = ratios(ours, stock)
    assert r["levels"]["32"]["p95"] == 0.33 and r["levels"]["1"]["msgs_per_s"] == 1.5
    assert r["capacity_users"] == 1.5 and r["ready_seconds"] == 0.19
    checks = {c["target"]: c["ok"] for c in target_checks(ours)}
    assert checks == {"p95 1 user(s) <= 150 ms": True, "p95 32 user(s) <= 500 ms": False, "zero errors": True,
                      "Rasa RSS <= 1500 MB": True}


def test_production_env_defaults_yield_to_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CLOSEBOT_REDIS_PORT", "6380")
    monkeypatch.delenv("CLOSEBOT_PG_HOST", raising=False)
    env = production_env({"CLOSEBOT_TRACKER_DB": "x"})
    assert env["CLOSEBOT_REDIS_PORT"] == "6380" and env["CLOSEBOT_PG_HOST"] == "127.0.0.1"
    assert env["CLOSEBOT_PG_PASSWORD"] == "" and env["CLOSEBOT_TRACKER_DB"] == "x"
    assert int(env["SANIC_WORKERS"]) >= 1


def test_production_endpoints_expand_with_the_defaults(monkeypatch, tmp_path: Path) -> None:
    """What Rasa reads: every ${VAR} is set by production.env; the stack's own action URL replaces ours."""
    from rasa.core.utils import read_endpoints_from_path

    for key, value in production_env().items():
        monkeypatch.setenv(key, value)
    endpoints = read_endpoints_from_path(str(PRODUCTION_ENDPOINTS))
    assert endpoints.action.url == os.environ["CLOSEBOT_ACTION_URL"]
    assert endpoints.tracker_store.type == "channels.tracker_store.SharedSQLTrackerStore"  # SQL, no fallback
    assert endpoints.tracker_store.kwargs["dialect"] == "postgresql"
    assert endpoints.lock_store.type == "redis" and endpoints.event_broker.type == "pika"
    stripped = yaml.safe_load(endpoints_without_action())
    assert set(stripped) == {"tracker_store", "lock_store", "event_broker"}


@pytest.mark.slow
def test_one_user_one_conversation_against_the_real_stack(tmp_path: Path) -> None:
    from harness.stack import Stack

    with Stack(tmp_path / "stack") as stack:
        records, _ = run_load(stack.rasa_url, CLOSEBOT, Plan(users=1, conversations=1, tag="t"))
        result = aggregate(records)
        assert result["errors"] == 0, [r.error for r in records if r.error]
        assert result["turns"] == len(CLOSEBOT.turns)
        layers = layer_costs(stack, CLOSEBOT, samples=2)
    assert layers["predicted_action"] == "action_next_blocker"
    assert {"nlu_parse", "policy_predict", "action_server:action_diagnose_close",
            "db:diagnose_close (+ render, audit)"} <= set(layers)


@pytest.mark.slow
def test_two_replica_pairs_share_the_production_services(tmp_path: Path) -> None:
    """Users spread over two Rasa servers (each with its action server) on one PostgreSQL,
    Redis and RabbitMQ: every turn right, and both servers did the work. Needs the local
    services; fails without them."""
    from bench.latency.assistants import Assistant
    from bench.latency.levels import measure_level
    from harness.stack import MODEL

    assistant = Assistant("closebot", MODEL, tmp_path / "replicas", "production", replicas=2)
    stack = assistant.start()
    try:
        assert len(stack.rasa_urls) == 2 and stack.rasa_urls[0] != stack.rasa_urls[1]
        result = measure_level(stack, CLOSEBOT, Plan(users=4, conversations=1, tag="rep"))
    finally:
        assistant.stop()
    assert result["errors"] == 0, result["error_kinds"]
    assert result["turns"] == 4 * len(CLOSEBOT.turns)
    assert result["cpu_ms_per_turn"]["rasa"] > 0 and result["cpu_ms_per_turn"]["rasa_2"] > 0
    assert {"rasa", "rasa_2", "action", "action_2"} <= set(result["rss_peak_mb"])
