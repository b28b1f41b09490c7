"""Status page components in a real diagnosis (SQLite demo scenario), the guided fix, the
assistant's replies and ``closebot diagnose``, with the page read over real HTTP.

In the demo, C100's close is blocked by many records (the bank gateway outage among them)
and C200's general ledger can close: the page adds to the first and can block the second.
"""

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from bot.conversation import employee
from bot.conversation.reply import Reply
from bot.diagnosis.engine import diagnose
from bot.diagnosis.render import render_table
from bot.diagnosis.result import Diagnosis
from bot.diagnosis.status import StatusReading
from bot.fixes.guide import guide
from bot.fixes.recheck import compare
from bot.integrations.statuspage import StatusPageClient
from bot.store.models import Company, Component
from tests.conftest import BIN, DEMO, shown_dict
from tests.fakes.statuspage import (
    LEDGER_API,
    PAYMENTS,
    REPORTING,
    SHORTLINK,
    Clock,
    FakeStatusPage,
    settings,
)

#: The demo deadlines are 3 and 5 December; judged on 20 November nothing is raised for them.
EARLY = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
PAGE_MAP = {PAYMENTS: ["cash", "receivables"], "Ledger API": ["general_ledger"], "Banking": ["payables"]}
KEYS = {"kind", "module", "refs", "summary", "fix", "owner_role", "severity", "caused_by"}


@pytest.fixture
def page() -> Iterator[FakeStatusPage]:
    with FakeStatusPage() as fake:
        yield fake  # type: ignore[misc]


def client(url: str, clock: Clock = None, **overrides) -> StatusPageClient:
    clock = clock or Clock()
    overrides.setdefault("components", PAGE_MAP)
    return StatusPageClient(settings(url, **overrides), clock=clock.monotonic, now=clock.now)


def nowhere() -> str:
    """An address where nothing listens (connections are refused)."""
    with FakeStatusPage() as gone:
        return gone.url


def system_faults(d: Diagnosis) -> dict:
    return {ref: b for b in d.blockers if b.kind == "system_fault" for ref in b.refs}


# ---- the diagnosis --------------------------------------------------------------------------------


def test_page_components_block_like_store_components(demo_session, page) -> None:
    d = diagnose(demo_session, "C100", now=EARLY, status=client(page.url))
    faults = system_faults(d)
    assert set(faults) == {"bank-gateway", PAYMENTS}  # the store's and the page's, side by side
    store, live = faults["bank-gateway"], faults[PAYMENTS]
    assert (live.module, live.severity, live.owner_role) == (store.module, store.severity, store.owner_role)
    assert live.module == "cash" and live.severity == "high" and live.caused_by == []
    assert live.summary.startswith(
        "Payments API (b13yz5g2cw10) is in a partial outage (affects cash, receivables)")
    assert "Delayed bank settlements" in live.summary and "stale" not in live.summary
    assert SHORTLINK in live.fix and "duplicate" in live.fix
    # The modules it holds up point at it, like they point at the store's outage.
    index = d.blockers.index(live)
    for module in ("cash", "receivables"):
        waiting = next(b for b in d.blockers if b.kind == "module_not_closed" and b.refs == [module])
        assert index in waiting.caused_by
    # Operational page components block nothing.
    assert LEDGER_API not in faults


def test_page_outage_blocks_a_close_the_store_would_allow(demo_session, page) -> None:
    assert diagnose(demo_session, "C200", now=EARLY, status=client(page.url)).can_close
    page.set_status("Ledger API", "major_outage")
    d = diagnose(demo_session, "C200", now=EARLY, status=client(page.url))
    assert not d.can_close
    [blocker] = d.blockers
    assert (blocker.kind, blocker.module, blocker.refs, blocker.severity) == (
        "system_fault", "general_ledger", [LEDGER_API], "critical")


def test_maintenance_end_reaches_the_blocker(demo_session, page) -> None:
    status = client(page.url, components={REPORTING: ["general_ledger"]})
    [blocker] = diagnose(demo_session, "C200", now=EARLY, status=status).blockers
    assert "under maintenance until 2026-11-30 14:00 UTC" in blocker.summary
    assert "Reporting database upgrade" in blocker.summary
    assert "planned until 2026-11-30 14:00 UTC" in blocker.fix and blocker.severity == "high"


def test_json_keeps_the_contract_and_adds_system_status(demo_session, page) -> None:
    out = json.loads(json.dumps(diagnose(demo_session, "C100", now=EARLY, status=client(page.url)).to_dict()))
    assert {"company", "period", "can_close", "target_status", "blockers"} <= set(out)
    assert all(set(b) == KEYS for b in out["blockers"])
    status = out["system_status"]
    assert status["available"] is True and status["stale"] is False and status["age_seconds"] == 0
    assert status["page"] == page.url and status["page_status"] == "Partial System Outage"
    payments = next(c for c in status["components"] if c["id"] == PAYMENTS)
    assert payments["incidents"][0]["shortlink"] == SHORTLINK
    # What the Rasa slot keeps comes back whole.
    again = Diagnosis.from_dict(out)
    assert again.system_status.find(PAYMENTS).incidents[0].started_at == datetime(2026, 11, 30, 7, 35,
                                                                                  tzinfo=timezone.utc)
    assert again.to_dict() == out


def test_unreadable_page_leaves_the_other_blockers_alone(demo_session) -> None:
    with_page = diagnose(demo_session, "C100", now=EARLY, status=client(nowhere()))
    without = diagnose(demo_session, "C100", now=EARLY, status=None)
    assert with_page.blockers == without.blockers  # the store's diagnosis, untouched
    assert with_page.status_unknown and with_page.system_status.reason == "cannot be reached"
    assert with_page.to_dict()["system_status"]["available"] is False
    assert "System status unknown" in render_table(with_page) and "no reading yet" in render_table(with_page)


def test_a_source_that_raises_is_status_unknown_not_a_crash(demo_session) -> None:
    class Broken:
        def read(self) -> StatusReading:
            raise RuntimeError("bug in a status source")

    d = diagnose(demo_session, "C100", now=EARLY, status=Broken())
    assert d.status_unknown and "bug in a status source" in d.system_status.error
    assert any("PAY-88" in b.refs for b in d.blockers)


def test_can_close_without_a_reading_is_not_an_all_clear(demo_session) -> None:
    d = diagnose(demo_session, "C200", now=EARLY, status=client(nowhere()))
    assert d.can_close and d.to_dict()["can_close"] is True  # the contract: no blockers
    table = render_table(d)
    assert "system status is unknown" in table.splitlines()[0]
    assert "Nothing blocks the close." not in table and "can close" not in table.splitlines()[0]
    company = demo_session.get(Company, "C200")
    [text] = employee.render_diagnosis(d, company)
    assert "System status unknown" in text and "no reading yet" in text
    assert "✅" not in text and "run the close now" not in text


def test_stale_page_components_still_block_and_say_so(demo_session, page) -> None:
    clock = Clock()
    status = client(page.url, clock)
    status.read()
    page.down()
    clock.advance(12 * 60)
    d = diagnose(demo_session, "C100", now=EARLY, status=status)
    live = system_faults(d)[PAYMENTS]
    assert "[status page, stale: last reading 12 min ago, the page cannot be read now]" in live.summary
    text = guide(demo_session, d, live).text
    assert "⚠️ From the status page's last good reading (last reading 12 min ago)" in text
    assert "Ledger API" not in text  # a stale reading cannot vouch that anything is up


def test_no_status_page_configured_means_no_system_status(demo_session, monkeypatch, tmp_path) -> None:
    config = tmp_path / "closebot.yml"
    config.write_text("{}\n")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(config))
    monkeypatch.delenv("CLOSEBOT_STATUSPAGE_URL", raising=False)
    d = diagnose(demo_session, "C100", now=EARLY, status=None)
    assert d.system_status is None and "system_status" not in d.to_dict()
    assert set(system_faults(d)) == {"bank-gateway"}


# ---- the guided fix and recheck ---------------------------------------------------------------------


def test_guide_for_a_page_component(demo_session, page) -> None:
    d = diagnose(demo_session, "C100", now=EARLY, status=client(page.url))
    text = guide(demo_session, d, system_faults(d)[PAYMENTS], "u-alex").text
    assert f"Source: status page {page.url}." in text
    assert "Since: 2026-11-30 07:35 UTC (incident start)" in text
    assert ("Incident “Delayed bank settlements” (major impact, identified). Latest update: The settlement "
            "queue") in text
    assert f"Follow it at {SHORTLINK}." in text
    # What still works: the modules it does not touch, and what is up on both sides.
    assert "Affects cash management, receivables (AR). Still works: sales, purchasing, inventory" in text
    assert "(Bank file transfer, ERP database, Ledger API up)" in text
    assert "fixing PAY-88" in text and "is moot" in text
    assert "Who: " in text and "helpdesk" in text


def test_pending_payment_guide_names_the_page_outage(demo_session, page) -> None:
    page.set_status(PAYMENTS, "major_outage")
    demo_session.get(Component, "bank-gateway").status = "operational"
    demo_session.flush()
    d = diagnose(demo_session, "C100", now=EARLY, status=client(page.url))
    pending = next(b for b in d.blockers if b.kind == "payment_issue" and "PAY-88" in b.refs)
    assert "⚠️ Payments API (b13yz5g2cw10) is down (major outage): pending payments cannot settle" in (
        guide(demo_session, d, pending).text)


def test_recheck_does_not_call_an_unreadable_fault_fixed(demo_session, page) -> None:
    before = diagnose(demo_session, "C100", now=EARLY, status=client(page.url))
    after = diagnose(demo_session, "C100", now=EARLY, status=client(nowhere()))  # no good reading
    changes = compare(before, after)
    assert ("system_fault", PAYMENTS) in changes.unknown
    assert ("system_fault", PAYMENTS) not in changes.fixed
    assert ("system_fault", "bank-gateway") in changes.still
    page.set_status(PAYMENTS, "operational")
    fixed = compare(before, diagnose(demo_session, "C100", now=EARLY, status=client(page.url)))
    assert ("system_fault", PAYMENTS) in fixed.fixed and not fixed.unknown


# ---- through the assistant service layer (settings from the environment) -------------------------


@pytest.fixture
def configured(monkeypatch, tmp_path: Path):
    """Point the settings at a page: ``use(url)`` writes closebot.yml and sets the URL variable."""

    def use(url: str, cache_seconds: float = 0) -> None:
        config = tmp_path / "closebot.yml"
        config.write_text(
            f"status_page:\n  cache_seconds: {cache_seconds}\n  wait_seconds: 5\n"
            f"  components:\n    {PAYMENTS}: [cash, receivables]\n    Ledger API: [general_ledger]\n"
            "  http: {connect_timeout: 0.5, read_timeout: 0.5, retries: 1, backoff_factor: 0}\n")
        monkeypatch.setenv("CLOSEBOT_CONFIG", str(config))
        monkeypatch.setenv("CLOSEBOT_STATUSPAGE_URL", url)

    return use


def text_of(reply: Reply) -> str:
    return "\n".join(reply.texts)


def test_assistant_says_status_unknown_when_the_page_is_down(demo_session, configured) -> None:
    configured(nowhere())
    reply = employee.diagnose_close(demo_session, "u-sam")  # C200: nothing in the records blocks
    text = text_of(reply)
    assert "nothing in the records blocks the general ledger" in text
    assert "System status unknown: the status page http://127.0.0.1:" in text
    assert "cannot be reached (no reading yet)" in text
    assert "run the close now" not in text and "✅" not in text
    assert [b.payload for b in reply.buttons] == ["/recheck", "/system_status"]
    status = text_of(employee.system_status(demo_session, "u-sam"))
    assert "System status unknown" in status and "operational" not in status


def test_assistant_system_status_from_the_page_then_stale(demo_session, configured, page) -> None:
    configured(page.url)
    text = text_of(employee.system_status(demo_session, "u-alex"))
    assert "Payments API — partial outage (affects cash, receivables): incident “Delayed bank settlements" in text
    assert f"({SHORTLINK}) [status page]" in text and "Bank payment gateway" in text
    assert "The status page says: Partial System Outage." in text
    page.down()  # cache_seconds 0: the next question reads the page again, and fails
    for component in demo_session.scalars(select(Component)):
        component.status = "operational"  # the store alone would say all is well
    demo_session.flush()
    text = text_of(employee.system_status(demo_session, "u-alex"))
    assert "System status unknown" in text and "cannot be reached (last reading" in text
    assert "Payments API" in text and "[status page, stale: last reading" in text
    assert "All monitored components are operational" not in text


def test_assistant_diagnosis_with_the_page_then_recheck_while_down(demo_session, configured, page) -> None:
    configured(page.url)
    employee.diagnose_close(demo_session, "u-alex")
    last = shown_dict(demo_session, "u-alex")
    assert PAYMENTS in {r for b in last["blockers"] for r in b["refs"]}
    walked = []
    while True:  # every root cause renders, the page's included, from the view alone
        step = employee.next_blocker(demo_session, "u-alex")
        walked.append(text_of(step))
        if "That was the last root cause" in walked[-1]:
            break
    assert any(f"Follow it at {SHORTLINK}" in t for t in walked)
    page.down()
    again = text_of(employee.recheck(demo_session, "u-alex"))  # same client: its last reading
    assert "b13yz5g2cw10 (system fault)" in again.split("Still open: ")[1]
    assert "Fixed" not in again and "System status unknown" in again and "last reading" in again
    configured(page.url, cache_seconds=1)  # another configuration: a client with no reading yet
    fresh = text_of(employee.recheck(demo_session, "u-alex"))
    assert "❔ Can't tell (the status page cannot be read): b13yz5g2cw10 (system fault)" in fresh
    assert "Fixed" not in fresh and "no reading yet" in fresh


# ---- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict:
    config = tmp_path / "closebot.yml"
    config.write_text(
        f"status_page:\n  components:\n    {PAYMENTS}: [cash, receivables]\n    Ledger API: [general_ledger]\n"
        "  http: {connect_timeout: 0.5, read_timeout: 0.5, retries: 1, backoff_factor: 0}\n")
    env = {**os.environ, "CLOSEBOT_DATABASE_URL": db_url, "CLOSEBOT_CONFIG": str(config)}
    subprocess.run([str(BIN / "closebot"), "scenario", "load", str(DEMO)], env=env, check=True,
                   capture_output=True)
    return env


def closebot(env: dict, url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "closebot"), "diagnose", *args],
                          env={**env, "CLOSEBOT_STATUSPAGE_URL": url}, capture_output=True, text=True,
                          timeout=120)


def test_cli_json_with_the_page(cli_env, page) -> None:
    proc = closebot(cli_env, page.url, "--company", "C100", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert all(set(b) == KEYS for b in out["blockers"])
    assert PAYMENTS in [r for b in out["blockers"] for r in b["refs"]]
    assert out["system_status"]["available"] is True
    assert page.summary_requests() == 1


def test_cli_with_the_page_down(cli_env) -> None:
    url = nowhere()
    proc = closebot(cli_env, url, "--company", "C200", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["can_close"] is True and out["blockers"] == []
    assert out["system_status"]["available"] is False
    assert out["system_status"]["reason"] == "cannot be reached" and out["system_status"]["read_at"] is None
    table = closebot(cli_env, url, "--company", "C200")
    assert table.returncode == 0, table.stderr
    assert "but the system status is unknown" in table.stdout.splitlines()[0]
    assert f"System status unknown: the status page {url} cannot be reached (no reading yet)" in table.stdout


def test_recheck_and_prevention_of_a_close_with_no_reading_are_not_all_clear(demo_session, configured) -> None:
    from bot.conversation import knowledge

    configured(nowhere())
    employee.diagnose_close(demo_session, "u-sam")
    last = shown_dict(demo_session, "u-sam")
    again = employee.recheck(demo_session, "u-sam")
    text = text_of(again)
    assert "Nothing in the records blocks any more. ⚠️ System status unknown" in text
    assert "you can run the close now" not in text
    assert [b.payload for b in again.buttons] == ["/recheck", "/system_status"]
    advice = text_of(knowledge.prevent_recurrence(last))
    assert advice.startswith("Nothing blocks C200 2026-11 in the records (the system status is unknown).")
