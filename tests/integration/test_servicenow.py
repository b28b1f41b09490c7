"""ServiceNowBackend over real HTTP against the ServiceNow fake on 127.0.0.1."""

import base64
import logging
from typing import Any, Iterator

import pytest

from bot.integrations.http import RemoteError
from bot.integrations.settings import ConfigError
from bot.integrations.ticketing.base import RemoteTicketRequest
from bot.integrations.ticketing.servicenow import ServiceNowBackend
from tests.fakes.servicenow import PASSWORD, TOKEN, USER, FakeServiceNow
from tests.fakes.settings import fast_http

ERROR_500 = {"error": {"message": "Internal server error", "detail": "Transaction cancelled"},
             "status": "failure"}
THROTTLED = {"error": {"message": "Rate limit exceeded", "detail": "Too many requests for user"},
             "status": "failure"}


def ticket(**overrides: Any) -> RemoteTicketRequest:
    values = dict(correlation_id="conv-42-ticket", local_number="T-0007",
                  summary="Payables cannot close\nfor 2026-11",
                  description="Payables is blocked: 3 vouchers are unposted.", category="voucher_unposted",
                  priority=2, status="new", company="ACME", period="2026-11", requester="alice")
    values.update(overrides)
    return RemoteTicketRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def sn() -> Iterator[FakeServiceNow]:
    with FakeServiceNow() as fake:
        yield fake


@pytest.fixture
def backend(sn: FakeServiceNow) -> Iterator[ServiceNowBackend]:
    made = ServiceNowBackend(sn.settings(), sn.basic_env())
    yield made
    made.close()


def calls(fake: FakeServiceNow, method: str) -> int:
    return sum(1 for r in fake.requests if r.method == method)


# -- happy paths ------------------------------------------------------------------------------
def test_create_sends_the_mapped_fields_and_returns_the_incident(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(assignment_group="8a4dde73c6112278017a6a4baf547aa7",
                                            caller_id="681ccaf9c0a8016400b98a06818d57c7"), sn.basic_env())
    ref = backend.create(ticket())
    record = sn.incident(ref.number)
    assert ref.system == "servicenow" and ref.remote_id == record["sys_id"] and ref.number == "INC0010001"
    assert ref.url == f"{sn.url}/nav_to.do?uri=incident.do?sys_id={record['sys_id']}"
    assert ref.status == "New"
    assert record["short_description"] == "Payables cannot close for 2026-11"
    assert "3 vouchers are unposted" in record["description"]
    assert "T-0007" in record["description"] and "ACME" in record["description"]
    assert (record["urgency"], record["impact"], record["priority"]) == ("1", "2", "2")
    assert record["category"] == "inquiry"
    assert record["correlation_id"] == "conv-42-ticket" and record["correlation_display"] == "closebot"
    assert record["assignment_group"] == "8a4dde73c6112278017a6a4baf547aa7"
    assert record["caller_id"] == "681ccaf9c0a8016400b98a06818d57c7"


def test_create_leaves_out_unconfigured_optional_fields(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    backend.create(ticket())
    sent = sn.requests[-1].json()
    assert "assignment_group" not in sent and "caller_id" not in sent
    assert sn.requests[-1].arg("sysparm_fields") == "sys_id,number,state"


def test_a_long_summary_fits_the_short_description_column(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket(summary="word " * 80))
    assert len(sn.incident(ref.number)["short_description"]) == 160


def test_mapping_overrides_from_config_keep_the_other_defaults(sn: FakeServiceNow) -> None:
    settings = sn.settings(categories={"system_fault": "software"}, default_category="hardware",
                           priorities={2: {"urgency": "2", "impact": "1"}}, states={"waiting": "2"})
    backend = ServiceNowBackend(settings, sn.basic_env())
    fault = sn.incident(backend.create(ticket(category="system_fault")).number)
    assert (fault["category"], fault["urgency"], fault["impact"]) == ("software", "2", "1")
    urgent = sn.incident(backend.create(ticket(priority=1, correlation_id="c-2")).number)
    assert (urgent["category"], urgent["urgency"], urgent["impact"]) == ("hardware", "1", "1")
    backend.update_status(backend.get(urgent["number"]), "waiting")
    assert sn.incident(urgent["number"])["state"] == "2"
    backend.update_status(backend.get(urgent["number"]), "resolved", note="fixed")
    assert sn.incident(urgent["number"])["state"] == "6"


@pytest.mark.parametrize("empty_404", [False, True], ids=["v2-empty-list", "v1-404"])
def test_find_by_correlation(sn: FakeServiceNow, backend: ServiceNowBackend, empty_404: bool) -> None:
    sn.empty_404 = empty_404
    assert backend.find_by_correlation("conv-42-ticket") is None
    made = backend.create(ticket())
    backend.create(ticket(correlation_id="another"))
    found = backend.find_by_correlation("conv-42-ticket")
    assert found == made
    query = sn.requests[-1]
    assert query.arg("sysparm_query") == "correlation_id=conv-42-ticket^ORDERBYsys_created_on"
    assert query.arg("sysparm_limit") == "1"


def test_an_unsafe_or_long_correlation_id_is_stored_and_found_as_a_token(
        sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sneaky = "conv 7^active=true" + "x" * 120
    made = backend.create(ticket(correlation_id=sneaky))
    stored = sn.incident(made.number)["correlation_id"]
    assert len(stored) <= 100 and "^" not in stored and " " not in stored
    backend.create(ticket(correlation_id="conv 7^active=true" + "y" * 120))
    assert backend.find_by_correlation(sneaky) == made


@pytest.mark.parametrize("empty_404", [False, True], ids=["v2-empty-list", "v1-404"])
def test_get_by_number(sn: FakeServiceNow, backend: ServiceNowBackend, empty_404: bool) -> None:
    sn.empty_404 = empty_404
    made = backend.create(ticket())
    sn.set_state(made.number, "2")
    got = backend.get(made.number)
    assert (got.remote_id, got.number, got.status) == (made.remote_id, made.number, "In Progress")
    with pytest.raises(RemoteError) as missing:
        backend.get("INC0099999")
    assert missing.value.status == 404 and "INC0099999" in str(missing.value)
    with pytest.raises(RemoteError):
        backend.get("INC0010001^ORnumber!=x")  # never reaches the query


def test_update_status_resolved_sends_close_code_and_the_note(
        sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket())
    backend.update_status(ref, "resolved", note="Vouchers posted by Bob; payables closed.")
    record = sn.incident(ref.number)
    assert (record["state"], record["close_code"]) == ("6", "Solution provided")
    assert record["close_notes"] == "Vouchers posted by Bob; payables closed."
    assert sn.requests[-1].method == "PUT"
    assert sn.work_notes(ref.number) == []


def test_closing_without_a_note_still_satisfies_the_data_policy(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(close_code="Resolved by caller"), sn.basic_env())
    ref = backend.create(ticket())
    backend.update_status(ref, "closed")
    record = sn.incident(ref.number)
    assert (record["state"], record["active"], record["close_code"]) == ("7", "false", "Resolved by caller")
    assert record["close_notes"]


def test_the_data_policy_error_reaches_the_caller_in_servicenow_words(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(close_code=""), sn.basic_env())
    ref = backend.create(ticket())
    with pytest.raises(RemoteError) as refused:
        backend.update_status(ref, "resolved", note="done")
    assert refused.value.status == 403 and not refused.value.transient
    assert refused.value.message == "Operation Failed: Data Policy Exception: Resolution code is mandatory"
    assert sn.incident(ref.number)["state"] == "1"


def test_a_note_on_an_open_status_becomes_a_work_note(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket())
    backend.update_status(ref, "in_progress", note="Bob is on it")
    assert sn.incident(ref.number)["state"] == "2"
    assert sn.work_notes(ref.number) == ["Bob is on it"]


def test_add_comment_patches_work_notes(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket())
    backend.add_comment(ref, "Requester says the 3 vouchers are posted now.")
    assert sn.requests[-1].method == "PATCH"
    assert sn.requests[-1].json() == {"work_notes": "Requester says the 3 vouchers are posted now."}
    assert sn.work_notes(ref.number) == ["Requester says the 3 vouchers are posted now."]
    with pytest.raises(ValueError):
        backend.add_comment(ref, "   ")


# -- auth ---------------------------------------------------------------------------------------
def test_basic_auth_is_sent(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    backend.create(ticket())
    assert sn.auth_seen == [f"basic:{USER}"]


def test_a_token_means_oauth_bearer_and_wins_over_basic(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(), {**sn.basic_env(), **sn.bearer_env()})
    backend.create(ticket())
    assert sn.auth_seen == ["bearer"]
    assert sn.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(backend._session.auth)


def test_401_is_clear_and_never_shows_the_secret(sn: FakeServiceNow) -> None:
    wrong = {"SERVICENOW_USERNAME": USER, "SERVICENOW_PASSWORD": "wrong-pw-xyz"}
    backend = ServiceNowBackend(sn.settings(), wrong)
    with pytest.raises(RemoteError) as denied:
        backend.create(ticket())
    assert denied.value.status == 401 and not denied.value.transient
    assert "User Not Authenticated" in str(denied.value) and "SERVICENOW_PASSWORD" in str(denied.value)
    assert "wrong-pw-xyz" not in str(denied.value)
    assert calls(sn, "POST") == 1
    bad_token = ServiceNowBackend(sn.settings(), {"SERVICENOW_TOKEN": "expired-token-123"})
    with pytest.raises(RemoteError) as expired:
        bad_token.get("INC0010001")
    assert expired.value.status == 401 and "expired-token-123" not in str(expired.value)


# -- failures -------------------------------------------------------------------------------
def test_404_on_an_unknown_record_carries_servicenow_message(
        sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket())
    gone = ref.__class__(ref.system, "0" * 32, ref.number)
    with pytest.raises(RemoteError) as missing:
        backend.add_comment(gone, "hello")
    assert missing.value.status == 404 and missing.value.message.startswith("No Record found")


def test_a_wrong_table_is_an_error_not_an_empty_answer(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(table="incidnet"), sn.basic_env())
    with pytest.raises(RemoteError) as wrong:
        backend.find_by_correlation("conv-42-ticket")
    assert wrong.value.message == "Invalid table incidnet"


def test_429_on_get_is_retried_after_retry_after(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    made = backend.create(ticket())
    sn.fail_next(429, THROTTLED, {"Retry-After": "1"})
    assert backend.get(made.number) == made
    assert calls(sn, "GET") == 2


def test_429_on_post_is_not_retried_and_says_when_to_come_back(
        sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.fail_next(429, THROTTLED, {"Retry-After": "7"})
    with pytest.raises(RemoteError) as throttled:
        backend.create(ticket())
    assert throttled.value.status == 429 and throttled.value.retry_after == 7.0 and throttled.value.transient
    assert throttled.value.message == "Rate limit exceeded: Too many requests for user"
    assert calls(sn, "POST") == 1 and sn.incidents == []


def test_500_on_get_is_retried(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    made = backend.create(ticket())
    sn.fail_next(500, ERROR_500)
    assert backend.find_by_correlation("conv-42-ticket") == made
    assert calls(sn, "GET") == 2


def test_500_on_get_gives_up_after_the_retry_budget(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.fail_next(503, ERROR_500, times=10)
    with pytest.raises(RemoteError) as failed:
        backend.get("INC0010001")
    assert failed.value.status == 503 and failed.value.transient
    assert calls(sn, "GET") == 3  # the first try and two retries (fast_http)


def test_500_on_post_and_patch_is_not_retried(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.fail_next(500, ERROR_500)
    with pytest.raises(RemoteError) as failed:
        backend.create(ticket())
    assert failed.value.status == 500 and failed.value.message == "Internal server error: Transaction cancelled"
    assert calls(sn, "POST") == 1
    ref = backend.create(ticket())
    sn.fail_next(502, "<html>Bad gateway</html>")
    with pytest.raises(RemoteError):
        backend.add_comment(ref, "only once")
    assert calls(sn, "PATCH") == 1


def test_500_on_put_is_retried(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    ref = backend.create(ticket())
    sn.fail_next(500, ERROR_500)
    backend.update_status(ref, "in_progress")
    assert calls(sn, "PUT") == 2 and sn.incident(ref.number)["state"] == "2"


def test_a_slow_get_times_out_and_is_retried(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(http=fast_http(read_timeout=0.3)), sn.basic_env())
    made = backend.create(ticket())
    sn.delay_next(1.0)
    assert backend.get(made.number) == made
    assert calls(sn, "GET") == 2


def test_a_slow_get_gives_up_with_a_clear_error(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(http=fast_http(read_timeout=0.3, retries=0)), sn.basic_env())
    sn.delay_next(1.0)
    with pytest.raises(RemoteError) as slow:
        backend.get("INC0010001")
    assert "timed out" in str(slow.value) and slow.value.transient


def test_a_create_whose_answer_is_lost_is_found_by_correlation(sn: FakeServiceNow) -> None:
    backend = ServiceNowBackend(sn.settings(http=fast_http(read_timeout=0.3)), sn.basic_env())
    sn.delay_next(1.0, after=True)  # the incident is created, the answer comes too late
    with pytest.raises(RemoteError) as lost:
        backend.create(ticket())
    assert lost.value.transient and calls(sn, "POST") == 1
    found = backend.find_by_correlation("conv-42-ticket")
    assert found is not None and [r["number"] for r in sn.incidents] == [found.number]


def test_malformed_json_is_a_remote_error(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.fail_next(200, "<html><body>Instance hibernating</body></html>", {"Content-Type": "text/html"})
    with pytest.raises(RemoteError) as garbled:
        backend.get("INC0010001")
    assert "malformed JSON" in str(garbled.value) and "hibernating" in str(garbled.value)
    sn.fail_next(201, '{"result": {"sys_id": ')
    with pytest.raises(RemoteError, match="malformed JSON"):
        backend.create(ticket())


def test_json_of_the_wrong_shape_is_a_remote_error(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.fail_next(200, {"result": {"sys_id": "abc"}})
    with pytest.raises(RemoteError, match="no 'result' list"):
        backend.find_by_correlation("conv-42-ticket")
    sn.fail_next(201, {"result": {"state": "1"}})
    with pytest.raises(RemoteError, match="without sys_id or number"):
        backend.create(ticket())


def test_an_unreachable_instance_is_a_transient_error(sn: FakeServiceNow, backend: ServiceNowBackend) -> None:
    sn.down()
    try:
        with pytest.raises(RemoteError) as down:
            backend.get("INC0010001")
    finally:
        sn.up()
    assert down.value.status is None and down.value.transient and "cannot reach" in str(down.value)


# -- configuration ----------------------------------------------------------------------------
def test_missing_url_and_credentials_are_named_together() -> None:
    from bot.integrations.settings import ServiceNowSettings

    with pytest.raises(ConfigError) as missing:
        ServiceNowBackend(ServiceNowSettings(), {})
    text = str(missing.value)
    assert "SERVICENOW_INSTANCE_URL" in text and "tickets.servicenow.url" in text
    assert "SERVICENOW_TOKEN" in text and "SERVICENOW_USERNAME" in text and "SERVICENOW_PASSWORD" in text


def test_half_of_basic_auth_names_the_missing_half_but_not_the_value(sn: FakeServiceNow) -> None:
    with pytest.raises(ConfigError) as missing:
        ServiceNowBackend(sn.settings(), {"SERVICENOW_PASSWORD": "hunter2-secret"})
    assert "SERVICENOW_USERNAME" in str(missing.value) and "hunter2-secret" not in str(missing.value)


def test_credentials_in_the_url_are_refused_without_echoing_them(sn: FakeServiceNow) -> None:
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{sn.port}"
    with pytest.raises(ConfigError) as refused:
        ServiceNowBackend(sn.settings(url=url), sn.basic_env())
    assert PASSWORD not in str(refused.value) and "SERVICENOW_INSTANCE_URL" in str(refused.value)


def test_an_incomplete_priority_mapping_is_a_config_error(sn: FakeServiceNow) -> None:
    with pytest.raises(ConfigError, match=r"priorities\.3: missing impact"):
        ServiceNowBackend(sn.settings(priorities={3: {"urgency": "2"}}), sn.basic_env())


# -- secrets ----------------------------------------------------------------------------------
def test_secrets_stay_out_of_debug_logs(sn: FakeServiceNow, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    basic = ServiceNowBackend(sn.settings(), sn.basic_env())
    bearer = ServiceNowBackend(sn.settings(), sn.bearer_env())
    ref = basic.create(ticket())
    bearer.update_status(ref, "resolved", note="done")
    sn.fail_next(500, ERROR_500)
    with pytest.raises(RemoteError):
        bearer.add_comment(ref, "boom")
    sn.users[USER] = "rotated"
    with pytest.raises(RemoteError):
        basic.get(ref.number)
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}  # the DEBUG lines were captured
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, TOKEN, encoded):
        assert secret not in caplog.text
