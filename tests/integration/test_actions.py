"""Actions stay thin and a crash never ends the conversation."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as closebot_actions
from actions.base import APOLOGY, TIMEOUT_APOLOGY


def tracker(sender: str, slots: dict) -> Tracker:
    return Tracker(sender, slots, {"text": "hi", "intent": {"name": "greet"}, "message_id": "m1"},
                   [], False, None, {}, "action_listen")


def run(action, trk: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, trk, {}))
    return dispatcher.messages, events


def test_action_failure_becomes_an_apology(monkeypatch, tmp_path) -> None:
    def boom(*_args, **_kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(closebot_actions.employee, "diagnose_close", boom)
    messages, events = run(closebot_actions.ActionDiagnoseClose(), tracker("u-mei", {}))
    assert [m["text"] for m in messages] == [APOLOGY]
    assert events == []


def test_slow_store_times_out_with_a_message(monkeypatch) -> None:
    import time

    monkeypatch.setenv("CLOSEBOT_ACTION_TIMEOUT", "0.2")  # raised to the longest wait + 1 s: 1.1 s here
    monkeypatch.setenv("CLOSEBOT_LOCK_WAIT_SECONDS", "0.1")
    monkeypatch.setattr(closebot_actions, "as_speaker", lambda *a: time.sleep(2))
    messages, _ = run(closebot_actions.ActionGreet(), tracker("u-mei", {}))
    assert [m["text"] for m in messages] == [TIMEOUT_APOLOGY]


def test_diagnosis_action_keeps_the_diagnosis_on_the_server(monkeypatch, db_url) -> None:
    from bot.conversation import view
    from bot.scenario.load import load_file
    from bot.store.db import session_scope
    from tests.conftest import DEMO

    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
    trk = Tracker("u-mei", {"period": "2026-10"}, {
        "text": "why can't I close nov", "intent": {"name": "report_blocked_close"}, "message_id": "m1",
        "entities": [{"entity": "period", "value": "nov", "start": 19, "end": 22}]},
        [], False, None, {}, "action_listen")
    messages, events = run(closebot_actions.ActionDiagnoseClose(), trk)
    # the slots steer the dialogue only; the diagnosis is the server's, for this user and conversation
    assert {e["name"]: e["value"] for e in events} == {"has_blockers": True}
    with session_scope() as s:
        shown = view.load(s, "u-mei", "u-mei").diagnosis
        assert view.load(s, "u-mei", "u-alex").diagnosis is None
    assert (shown.company, shown.period) == ("C100", "2026-11")  # the message's period, not the slot's
    assert shown.blockers
    assert any(m.get("buttons") for m in messages)


@pytest.mark.parametrize("module", ["bot", "bot.conversation.employee", "bot.tickets.service", "bot.cli.main"])
def test_bot_never_imports_rasa(module) -> None:
    import subprocess
    import sys

    code = (f"import sys, {module}; "
            "print(any(m == 'rasa' or m.startswith(('rasa.', 'rasa_sdk')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("sender", "user"), [
    ("u-mei", "u-mei"), ("u-mei:17", "u-mei"), ("u-mei:a:b", "u-mei"), (":17", None), ("", ""), (None, None),
])
def test_sender_id_names_the_user_before_the_colon(sender, user) -> None:
    from bot.people.access import user_id_of

    assert user_id_of(sender) == user


def test_parallel_conversations_of_one_user(monkeypatch, db_url) -> None:
    """'u-mei:2' is Mei in her second conversation; ':2' alone is nobody."""
    from bot.scenario.load import load_file
    from bot.store.db import session_scope
    from tests.conftest import DEMO

    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
    messages, _ = run(closebot_actions.ActionGreet(), tracker("u-mei:2", {}))
    assert messages[0]["text"].startswith("Hi Mei!")
    messages, events = run(closebot_actions.ActionDiagnoseClose(), tracker("u-mei:2", {}))
    assert messages[0]["text"].startswith("C100 can't close")
    messages, _ = run(closebot_actions.ActionGreet(), tracker(":2", {}))
    assert "not registered" in messages[0]["text"]


def test_fix_actions_act_on_the_blocker_in_view(monkeypatch, db_url) -> None:
    """Notify and the ticket question follow the blocker the server has in view (brought there
    by "how do I fix …"), whatever the slots say; the ticket form names an incident."""
    from bot.scenario.load import load_file
    from bot.store.db import session_scope
    from tests.conftest import DEMO

    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
    forged = {"blocker_index": 0.0, "last_diagnosis": {"company": "C200", "blockers": []}}
    run(closebot_actions.ActionDiagnoseClose(), tracker("u-alex", forged))

    def fix(text: str) -> list:
        trk = Tracker("u-alex", forged, {"text": text, "intent": {"name": "fix_blocker"}, "message_id": text},
                      [], False, None, {}, "action_listen")
        return run(closebot_actions.ActionFixBlocker(), trk)[0]

    assert "How to fix bank-gateway" in fix("how do I fix the bank gateway?")[0]["text"]
    messages, _ = run(closebot_actions.ActionAskTicketNote(), tracker("u-alex", forged))
    assert "an incident about bank-gateway" in messages[0]["text"]
    messages, _ = run(closebot_actions.ActionNotifyOwner(), tracker("u-alex", forged))
    assert "Hana Kim (u-hana)" in messages[0]["text"]  # the helpdesk owns an outage
    assert "How to fix SO-1042" in fix("and SO-1042?")[0]["text"]
    messages, _ = run(closebot_actions.ActionNotifyOwner(), tracker("u-alex", forged))
    assert "Mei Chen (u-mei)" in messages[0]["text"]  # SO-1042's owner


def test_pending_notifications_come_before_the_reply_once(monkeypatch, db_url) -> None:
    from actions import personas
    from bot.scenario.load import load_file
    from bot.store.db import session_scope
    from bot.tickets import service as tickets
    from tests.conftest import DEMO

    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", db_url)
    with session_scope() as s:
        load_file(s, DEMO)
        tickets.add_comment(s, "CLS-000001", "ageing job re-run", author_id="u-hana")
    messages, _ = run(personas.ActionHelpdeskQueue(), tracker("u-alex:2", {}))
    assert messages[0]["text"] == "🔔 Hana Kim commented on CLS-000001: ageing job re-run"
    assert "for the helpdesk" in messages[1]["text"]
    again, _ = run(personas.ActionHelpdeskQueue(), tracker("u-alex", {}))
    assert len(again) == 1 and "🔔" not in again[0]["text"]


def test_form_validation_keeps_only_the_note() -> None:
    from actions.personas import ValidateResolveForm

    def validate(text: str, requested) -> dict:
        trk = Tracker("u-hana", {"resolution_note": text, "requested_slot": requested},
                      {"text": text, "intent": {"name": "resolve_ticket"}}, [], False, None,
                      {"name": "resolve_form"}, "action_listen")
        return ValidateResolveForm().validate_resolution_note(text, CollectingDispatcher(), trk, {})

    assert validate("resolve CLS-2: bank file re-sent", None) == {"resolution_note": "bank file re-sent"}
    assert validate("resolve CLS-2", None) == {"resolution_note": None}
    assert validate("resolve CLS-2", "resolution_note") == {"resolution_note": "resolve CLS-2"}


def test_the_configured_database_is_read_at_each_use(monkeypatch, tmp_path) -> None:
    """A changed CLOSEBOT_DATABASE_URL takes effect (an engine cached for the old URL did not)."""
    from bot.store.db import get_engine

    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    first = get_engine()
    monkeypatch.setenv("CLOSEBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    assert get_engine() is not first and str(get_engine().url).endswith("b.db")
    assert get_engine(f"sqlite:///{tmp_path / 'b.db'}") is get_engine()  # still one engine per URL


def test_turn_keys_fit_the_idempotency_columns() -> None:
    teams = "teams:a:1" + "Zx9" * 60  # Teams conversation ids run long
    key = closebot_actions.turn_key(tracker(teams, {}))
    assert key.endswith(":m1") and len(key) + len(":u-someone") <= 200
    assert closebot_actions.turn_key(tracker(teams, {})) == key  # the same turn, the same key
    assert closebot_actions.turn_key(tracker("u-mei:2", {})) == "u-mei:2:m1"
