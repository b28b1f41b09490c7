"""The status page client over real HTTP to a fake Statuspage on 127.0.0.1.

Time is stepped with a fake clock (no sleeps, no timing asserts); HTTP settings are short
(read timeout 0.5 s, no backoff, Retry-After capped at 1 s) so faults stay fast.
"""

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from bot.core.config import PROJECT_ROOT
from bot.diagnosis.status import StatusReading, unknown_text
from bot.integrations import statuspage
from bot.integrations.settings import ConfigError, load_settings
from bot.integrations.statuspage import (
    ComponentMap,
    StatusPageClient,
    SummaryError,
    UnavailableSource,
    client_for,
    configured_source,
    parse_summary,
)
from tests.fakes.statuspage import (
    BANK_FILES,
    EMAIL,
    GROUP,
    LEDGER_API,
    PAYMENTS,
    REPORTING,
    SHORTLINK,
    T0,
    Clock,
    FakeStatusPage,
    fast_http,
    settings,
)


@pytest.fixture
def page() -> Iterator[FakeStatusPage]:
    with FakeStatusPage() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def client(page: FakeStatusPage, clock: Clock, **overrides: Any) -> StatusPageClient:
    url = overrides.pop("url", page.url)
    return StatusPageClient(settings(url, **overrides), clock=clock.monotonic, now=clock.now)


def by_id(reading: StatusReading) -> dict:
    return {c.id: c for c in reading.components}


# ---- success and mapping -----------------------------------------------------------------------


def test_reads_summary_and_maps_components(page, clock) -> None:
    reading = client(page, clock).read()
    assert reading.available and not reading.stale and reading.read_at == T0
    assert reading.page_status == "Partial System Outage"
    found = by_id(reading)
    # The group container is skipped; its unnamed member inherits the group's modules; the
    # component nobody mapped (email) is left out.
    assert set(found) == {PAYMENTS, BANK_FILES, LEDGER_API, REPORTING}
    assert GROUP not in found and EMAIL not in found
    assert found[PAYMENTS].affects == ["cash", "receivables"] and found[PAYMENTS].status == "partial_outage"
    assert found[BANK_FILES].affects == ["payables"] and found[BANK_FILES].operational
    assert found[LEDGER_API].affects == ["general_ledger"]  # mapped by its name
    assert page.requests[0].headers.get("Accept") == "application/json"


def test_incidents_and_maintenance_enrich_components(page, clock) -> None:
    found = by_id(client(page, clock).read())
    payments = found[PAYMENTS]
    assert len(payments.incidents) == 1
    incident = payments.incidents[0]
    assert (incident.name, incident.impact, incident.status) == ("Delayed bank settlements", "major", "identified")
    assert incident.shortlink == SHORTLINK
    assert incident.started_at == datetime(2026, 11, 30, 7, 35, tzinfo=timezone.utc)
    assert incident.latest_update.startswith("The settlement queue")  # the newest update, not the first posted
    assert "Delayed bank settlements" in payments.message
    reporting = found[REPORTING]
    assert reporting.status == "under_maintenance"
    assert reporting.maintenance_until == datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)
    # A maintenance only scheduled (not in progress) says nothing yet.
    assert found[LEDGER_API].maintenance_until is None and found[LEDGER_API].message is None


def test_resolved_incident_and_finished_maintenance_drop_out(page, clock) -> None:
    status = client(page, clock, cache_seconds=0)
    page.resolve_incident()
    page.end_maintenance()
    page.set_status(PAYMENTS, "operational")
    found = by_id(status.read())
    assert found[PAYMENTS].incidents == [] and found[PAYMENTS].operational
    assert found[REPORTING].maintenance_until is None


def test_summary_url_accepts_page_root_or_full_url(page, clock) -> None:
    full = client(page, clock, url=page.url + "/api/v2/summary.json").read()
    root = client(page, clock, url=page.url + "/").read()
    assert full.available and root.available
    assert [r.path for r in page.requests] == ["/api/v2/summary.json"] * 2


# ---- defensive parsing (no HTTP) ------------------------------------------------------------------


def test_parse_is_defensive_about_odd_entries() -> None:
    body = {
        "components": [
            "not an object",
            {"name": "No id", "status": "major_outage"},  # the name stands in for the id
            {"id": "a1", "name": "Odd", "status": "on_fire"},  # unknown status: kept, not operational
            {"id": "a2", "name": "Silent"},  # no status at all: unknown, never operational
            {"id": "a3", "status": 7, "updated_at": "yesterday"},  # no name, odd types
            {"status": "operational"},  # neither id nor name: nothing to refer to
        ],
        "incidents": [
            {"name": "Over", "status": "resolved", "components": [{"id": "a1"}]},
            "junk",
            {"name": "Open", "status": "investigating", "components": "a1"},  # not a list
        ],
        "scheduled_maintenances": None,
    }
    mapping = ComponentMap.from_settings({"No id": ["cash"], "a1": ["cash"], "a2": ["cash"], "a3": ["cash"]})
    readings, headline = parse_summary(body, mapping)
    found = {c.id: c for c in readings}
    assert set(found) == {"No id", "a1", "a2", "a3"}
    assert found["a1"].status == "on_fire" and not found["a1"].operational
    assert found["a2"].status == "unknown" and not found["a2"].operational
    assert found["a3"].name == "a3" and found["a3"].status == "unknown" and found["a3"].updated_at is None
    assert all(c.incidents == [] for c in readings)
    assert headline is None


@pytest.mark.parametrize("body", [[], "text", {"components": {"a": 1}}])
def test_parse_rejects_a_body_that_is_not_a_summary(body) -> None:
    with pytest.raises(SummaryError):
        parse_summary(body, ComponentMap())


def test_unknown_module_in_the_map_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="status_page.components.Payments API: unknown module.*'ledger'"):
        ComponentMap.from_settings({"Payments API": ["cash", "ledger"]})


@pytest.mark.parametrize("url", ["ftp://status.example.com", "status.example.com", "http://"])
def test_bad_url_is_a_config_error(url) -> None:
    with pytest.raises(ConfigError, match="status_page.url"):
        StatusPageClient(settings(url))


# ---- cache ------------------------------------------------------------------------------------------


def test_cache_hit_makes_no_request(page, clock) -> None:
    status = client(page, clock, cache_seconds=60)
    first = status.read()
    clock.advance(59)
    second = status.read()
    assert page.summary_requests() == 1
    assert second is first


def test_ttl_expiry_reads_again(page, clock) -> None:
    status = client(page, clock, cache_seconds=60)
    status.read()
    page.set_status(PAYMENTS, "major_outage")
    clock.advance(60)
    assert by_id(status.read())[PAYMENTS].status == "major_outage"
    assert page.summary_requests() == 2


def test_concurrent_readers_share_one_fetch(page, clock) -> None:
    status = client(page, clock)
    page.delay_next(0.3)
    results: List[StatusReading] = []
    threads = [threading.Thread(target=lambda: results.append(status.read())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r.available for r in results)
    assert page.summary_requests() == 1


# ---- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status_code, message", [(401, "Unauthorized: this page requires a login"),
                                                  (404, "Page not found")])
def test_client_errors_are_clear_and_not_retried(page, clock, status_code, message) -> None:
    page.fail_next(status_code, {"error": message}, times=5)
    reading = client(page, clock).read()
    assert not reading.available and reading.read_at is None and reading.components == []
    assert reading.reason == f"HTTP {status_code}: {message}"
    assert f"HTTP {status_code}" in reading.error and message in reading.error
    assert page.summary_requests() == 1  # a 4xx is an answer, not a hiccup
    assert f"answered HTTP {status_code}" in unknown_text(reading)


def test_429_is_retried_after_retry_after(page, clock) -> None:
    page.fail_next(429, {"error": "Rate limit exceeded"}, headers={"Retry-After": "1"})
    reading = client(page, clock).read()
    assert reading.available and by_id(reading)[PAYMENTS].status == "partial_outage"
    assert page.summary_requests() == 2


def test_500_is_retried_then_reported(page, clock) -> None:
    page.fail_next(500, "<html><body>Internal Server Error</body></html>", times=10)
    reading = client(page, clock, http=fast_http(retries=2)).read()
    assert page.summary_requests() == 3  # the first try and two retries
    assert not reading.available and reading.reason == "HTTP 500"
    assert "Internal Server Error" in reading.error  # the whole answer, for the logs and the CLI


def test_500_once_then_success(page, clock) -> None:
    page.fail_next(502, "bad gateway")
    assert client(page, clock).read().available
    assert page.summary_requests() == 2


def test_timeout_is_reported_as_timed_out(page, clock) -> None:
    page.delay_next(1.5, times=3)
    reading = client(page, clock, http=fast_http(read_timeout=0.3, retries=1)).read()
    assert not reading.available and reading.reason == "timed out"
    assert "timed out" in unknown_text(reading) and "no reading yet" in unknown_text(reading)


def test_a_slow_page_answers_unknown_in_time_and_fills_the_cache_later(page, clock) -> None:
    status = client(page, clock, wait_seconds=0.2, http=fast_http(read_timeout=3, retries=0))
    page.delay_next(0.8)
    first = status.read()
    assert not first.available and first.reason == "is slow to answer"
    later = status.wait_for_fetch(timeout=5)
    assert later is not None and later.available
    assert status.read() is later  # cached: the fetch that was slow serves the next reader
    assert page.summary_requests() == 1


def test_malformed_json_is_reported(page, clock) -> None:
    page.fail_next(200, "<html>Maintenance page</html>", headers={"Content-Type": "text/html"})
    reading = client(page, clock).read()
    assert not reading.available and reading.reason == "sent malformed JSON"
    assert "malformed JSON" in reading.error


def test_json_that_is_not_a_summary_is_reported(page, clock) -> None:
    page.fail_next(200, ["not", "a", "summary"])
    reading = client(page, clock).read()
    assert not reading.available and reading.reason == "sent an unexpected summary"


def test_page_down_then_back(page, clock) -> None:
    status = client(page, clock, cache_seconds=60)
    good = status.read()
    assert good.available
    page.down()
    clock.advance(12 * 60)
    down = status.read()
    assert not down.available and down.stale and down.reason == "cannot be reached"
    assert down.read_at == good.read_at and down.age_seconds() == 12 * 60
    assert {c.id for c in down.components} == {c.id for c in good.components}  # offered, as stale
    assert "last reading 12 min ago" in unknown_text(down)
    page.up()
    clock.advance(30)
    assert status.read() is down  # the failure is cached too: the page is not hammered
    clock.advance(30)
    back = status.read()
    assert back.available and not back.stale and back.age_seconds() == 0


def test_never_operational_without_a_reading(clock) -> None:
    with FakeStatusPage() as page:
        url = page.url
    status = StatusPageClient(settings(url), clock=clock.monotonic, now=clock.now)  # nothing listens
    reading = status.read()
    assert not reading.available and not reading.stale and reading.components == []
    text = unknown_text(reading)
    assert "System status unknown" in text and "no reading yet" in text and "operational" not in text


# ---- one client per page; configuration -------------------------------------------------------------


def test_one_client_per_configured_page(page) -> None:
    one = client_for(settings(page.url))
    assert client_for(settings(page.url)) is one
    assert client_for(settings(page.url, cache_seconds=5)) is not one


@pytest.fixture
def no_status_env(monkeypatch, tmp_path: Path) -> Path:
    config = tmp_path / "closebot.yml"
    config.write_text("{}\n")
    monkeypatch.setenv("CLOSEBOT_CONFIG", str(config))
    monkeypatch.delenv("CLOSEBOT_STATUSPAGE_URL", raising=False)
    monkeypatch.delenv("CLOSEBOT_TICKET_BACKEND", raising=False)
    return config


def test_no_url_configured_means_no_status_source(no_status_env) -> None:
    assert configured_source() is None
    assert statuspage.current_status() is None


def test_environment_url_and_file_map(no_status_env, monkeypatch, page) -> None:
    no_status_env.write_text(
        "status_page:\n  cache_seconds: 5\n  components:\n    Payments API: [cash]\n"
        "  http: {read_timeout: 0.5, retries: 0, backoff_factor: 0}\n")
    monkeypatch.setenv("CLOSEBOT_STATUSPAGE_URL", page.url)
    source = configured_source()
    assert isinstance(source, StatusPageClient) and source.cache_seconds == 5
    reading = source.read()
    assert [c.id for c in reading.components] == [PAYMENTS]


def test_bad_configuration_reads_as_unknown_not_a_crash(no_status_env, monkeypatch) -> None:
    monkeypatch.setenv("CLOSEBOT_STATUSPAGE_URL", "http://127.0.0.1:9")
    no_status_env.write_text("status_page:\n  components:\n    Payments API: [treasury]\n")
    source = configured_source()
    assert isinstance(source, UnavailableSource)
    reading = statuspage.current_status()
    assert reading is not None and not reading.available and "treasury" in reading.error


def test_html_refusal_is_reduced_to_its_words(page, clock) -> None:
    page.fail_next(403, "<html><head><title>403</title></head><body><h1>Forbidden</h1></body></html>",
                   headers={"Content-Type": "text/html"})
    reading = client(page, clock).read()
    assert reading.reason == "HTTP 403: 403 Forbidden"


def test_the_example_configuration_is_valid(monkeypatch) -> None:
    monkeypatch.delenv("CLOSEBOT_STATUSPAGE_URL", raising=False)
    monkeypatch.delenv("CLOSEBOT_TICKET_BACKEND", raising=False)
    example = load_settings(PROJECT_ROOT / "closebot.example.yml").status_page
    assert example.url == "https://status.example.com" and example.cache_seconds == 60
    mapping = ComponentMap.from_settings(example.components)  # every module name is a real one
    assert mapping.modules("x", "payments api") == ["cash", "receivables"]
