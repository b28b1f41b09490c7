"""JiraBackend over real HTTP against the Jira Cloud fake on 127.0.0.1."""

import base64
import logging
from typing import Any, Iterator

import pytest
import requests

from bot.integrations.http import RemoteError
from bot.integrations.settings import ConfigError, JiraSettings
from bot.integrations.ticketing.adf import adf_text, to_adf
from bot.integrations.ticketing.base import RemoteRef, RemoteTicketRequest
from bot.integrations.ticketing.common import WorkflowError
from bot.integrations.ticketing.jira import JiraBackend, correlation_label
from tests.fakes.jira import API_TOKEN, EMAIL, FakeJira, adf_problem
from tests.fakes.settings import fast_http

DESCRIPTION = "Payables is blocked.\n3 vouchers are unposted.\n\nPost them, then re-run the close."
ERROR_500 = {"errorMessages": ["Internal server error"], "errors": {}}


def ticket(**overrides: Any) -> RemoteTicketRequest:
    values = dict(correlation_id="conv-42-ticket", local_number="T-0007",
                  summary="Payables cannot close\nfor 2026-11",
                  description=DESCRIPTION,
                  category="voucher_unposted", priority=1, status="new", company="ACME", period="2026-11",
                  requester="alice")
    values.update(overrides)
    return RemoteTicketRequest(**values)  # type: ignore[arg-type]


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def backend(jira: FakeJira) -> Iterator[JiraBackend]:
    made = JiraBackend(jira.settings(), jira.env())
    yield made
    made.close()


def calls(fake: FakeJira, method: str, suffix: str = "") -> int:
    return sum(1 for r in fake.requests if r.method == method and r.path.endswith(suffix))


# -- happy paths ------------------------------------------------------------------------------
def test_create_sends_the_mapped_fields_as_adf(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    issue = jira.issue(ref.number)
    fields = issue["fields"]
    assert ref == RemoteRef("jira", issue["id"], "CLOSE-1", f"{jira.url}/browse/CLOSE-1", None)
    assert (fields["project"], fields["issuetype"], fields["priority"]) == ("CLOSE", "Task", "Highest")
    assert fields["summary"] == "Payables cannot close for 2026-11"
    assert adf_problem(fields["description"]) is None
    text = adf_text(fields["description"])
    assert text.startswith(DESCRIPTION)
    assert "T-0007" in text and "ACME" in text and "2026-11" in text
    assert fields["labels"] == ["closebot", "voucher_unposted", "closebot-conv-42-ticket"]


def test_mapping_overrides_from_config_keep_the_other_defaults(jira: FakeJira) -> None:
    settings = jira.settings(priorities={1: "High"}, categories={"voucher_unposted": "gl posting"},
                             labels=["finance close", "closebot"], issue_type="Bug")
    backend = JiraBackend(settings, jira.env())
    first = jira.issue(backend.create(ticket()).number)["fields"]
    assert first["priority"] == "High" and first["issuetype"] == "Bug"
    assert first["labels"] == ["finance-close", "closebot", "gl-posting", "closebot-conv-42-ticket"]
    low = jira.issue(backend.create(ticket(priority=4, correlation_id="c-2", labels=["q4"])).number)["fields"]
    assert low["priority"] == "Low" and "q4" in low["labels"]


def test_a_priority_mapped_to_nothing_is_left_out(jira: FakeJira) -> None:
    backend = JiraBackend(jira.settings(priorities={n: "" for n in range(1, 5)}), jira.env())
    backend.create(ticket())
    assert "priority" not in jira.requests[-1].json()["fields"]


def test_a_long_summary_is_cut_to_what_jira_accepts(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket(summary="word " * 80, description=""))
    issue = jira.issue(ref.number)["fields"]
    assert len(issue["summary"]) == 255 and issue["summary"].endswith("…")
    assert adf_problem(issue["description"]) is None


def test_find_by_correlation_uses_the_enhanced_search(jira: FakeJira, backend: JiraBackend) -> None:
    assert backend.find_by_correlation("conv-42-ticket") is None
    made = backend.create(ticket())
    backend.create(ticket(correlation_id="another"))
    duplicate = backend.create(ticket())  # what a blind retry would make
    found = backend.find_by_correlation("conv-42-ticket")
    assert found is not None and found.number == made.number != duplicate.number
    assert found.status == "To Do" and found.url == made.url
    search = jira.requests[-1]
    assert search.path == "/rest/api/3/search/jql"
    assert search.arg("jql") == 'labels = "closebot-conv-42-ticket" ORDER BY created ASC'
    assert (search.arg("fields"), search.arg("maxResults")) == ("status", "1")
    assert all(r.path != "/rest/api/3/search" for r in jira.requests)


def test_find_by_correlation_copes_with_an_ids_only_answer(jira: FakeJira, backend: JiraBackend) -> None:
    made = backend.create(ticket())
    jira.fail_next(200, {"issues": [{"id": made.remote_id}], "isLast": True})
    assert backend.find_by_correlation("conv-42-ticket") == RemoteRef(
        "jira", made.remote_id, made.number, made.url, "To Do")


def test_an_unsafe_correlation_id_makes_a_label_that_jira_and_jql_accept(
        jira: FakeJira, backend: JiraBackend) -> None:
    sneaky = 'conv 7" OR project = "CLOSE'
    made = backend.create(ticket(correlation_id=sneaky))
    backend.create(ticket(correlation_id="conv 7 OR project = CLOSE"))
    label = correlation_label(sneaky)
    assert label in jira.issue(made.number)["fields"]["labels"] and '"' not in label and " " not in label
    assert backend.find_by_correlation(sneaky) == RemoteRef("jira", made.remote_id, made.number, made.url, "To Do")


def test_get_returns_the_status_and_404_carries_jira_message(jira: FakeJira, backend: JiraBackend) -> None:
    made = backend.create(ticket())
    jira.set_state(made.number, "In Progress")
    assert backend.get(made.number).status == "In Progress"
    with pytest.raises(RemoteError) as missing:
        backend.get("CLOSE-99")
    assert missing.value.status == 404 and not missing.value.transient
    assert missing.value.message == "Issue does not exist or you do not have permission to see it."


def test_update_status_applies_the_matching_transition(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    backend.update_status(ref, "in_progress")
    assert jira.status(ref.number) == "In Progress"
    backend.update_status(ref, "resolved", note="Vouchers posted by Bob.\n\nPayables closed.")
    assert jira.status(ref.number) == "Done"
    assert jira.comments(ref.number) == ["Vouchers posted by Bob.\n\nPayables closed."]
    assert jira.requests[-1].json() == {"body": to_adf("Vouchers posted by Bob.\n\nPayables closed.")}


def test_update_status_is_a_no_op_when_already_there(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    backend.update_status(ref, "new")
    backend.update_status(ref, "in_progress")
    backend.update_status(ref, "waiting")  # waiting maps to In Progress too
    assert calls(jira, "POST", "/transitions") == 1 and jira.status(ref.number) == "In Progress"


def test_a_retried_resolve_posts_its_note_once(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    backend.add_comment(ref, "An unrelated comment")
    jira.fail_next(500, ERROR_500, match=lambda r: r.method == "POST" and r.path.endswith("/comment"))
    with pytest.raises(RemoteError):
        backend.update_status(ref, "resolved", note="Fixed by posting the vouchers.")
    assert jira.status(ref.number) == "Done" and len(jira.comments(ref.number)) == 1
    backend.update_status(ref, "resolved", note="Fixed by posting the vouchers.")  # the outbox retries
    backend.update_status(ref, "resolved", note="Fixed by posting the vouchers.")  # and once more
    assert jira.comments(ref.number) == ["An unrelated comment", "Fixed by posting the vouchers."]
    assert calls(jira, "POST", "/transitions") == 1


def test_a_transition_is_matched_by_its_name_case_insensitively(jira: FakeJira) -> None:
    jira.transitions = [("41", "Resolve issue", "Done"), ("51", "Start work", "In Progress")]
    backend = JiraBackend(jira.settings(statuses={"resolved": "RESOLVE ISSUE"}), jira.env())
    ref = backend.create(ticket())
    backend.update_status(ref, "resolved")
    assert jira.status(ref.number) == "Done"
    assert jira.requests[-1].json() == {"transition": {"id": "41"}}
    backend.update_status(ref, "in_progress")  # the default mapping: "In Progress", the target status
    assert jira.status(ref.number) == "In Progress"


def test_no_matching_transition_lists_the_available_ones(jira: FakeJira) -> None:
    jira.transitions = [("51", "Start work", "In Progress"), ("61", "Finish", "Done")]
    backend = JiraBackend(jira.settings(), jira.env())
    ref = backend.create(ticket())
    jira.set_state(ref.number, "In Progress")
    with pytest.raises(WorkflowError) as stuck:
        backend.update_status(ref, "new")
    assert isinstance(stuck.value, RemoteError) and not stuck.value.transient
    assert "no transition to 'To Do'" in str(stuck.value) and "Finish (to Done)" in str(stuck.value)
    assert "tickets.jira.statuses" in str(stuck.value)


def test_add_comment_posts_adf(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    backend.add_comment(ref, "Line one\nline two\r\n\r\n\tIndented paragraph")
    assert jira.comments(ref.number) == ["Line one\nline two\n\nIndented paragraph"]
    with pytest.raises(ValueError):
        backend.add_comment(ref, "\n\n")


def test_the_fake_refuses_plain_strings_like_jira(jira: FakeJira, backend: JiraBackend) -> None:
    ref = backend.create(ticket())
    auth = (EMAIL, API_TOKEN)
    comment = requests.post(f"{jira.url}/rest/api/3/issue/{ref.number}/comment", json={"body": "plain"},
                            auth=auth, timeout=2)
    assert comment.status_code == 400 and comment.json()["errors"] == {"comment": "Comment body is not valid!"}
    fields = {"project": {"key": "CLOSE"}, "issuetype": {"name": "Task"}, "summary": "s", "description": "plain"}
    issue = requests.post(f"{jira.url}/rest/api/3/issue", json={"fields": fields}, auth=auth, timeout=2)
    assert issue.status_code == 400 and "Atlassian Document" in issue.json()["errors"]["description"]
    old = requests.get(f"{jira.url}/rest/api/3/search", params={"jql": "project = CLOSE"}, auth=auth, timeout=2)
    assert old.status_code == 410


@pytest.mark.parametrize(("text", "plain"), [
    ("", ""), ("  \n ", ""), ("one", "one"), ("a\n\n\n\nb", "a\n\nb"), ("x\r\ny", "x\ny"),
    (" lead\n\ttab ", "lead\n\ttab"), ("é ✓ 中文", "é ✓ 中文")])
def test_to_adf_is_always_valid_and_keeps_the_text(text: str, plain: str) -> None:
    assert adf_problem(to_adf(text)) is None
    assert adf_text(to_adf(text)) == plain
    with_footer = to_adf(text, "Closebot ticket T-1.")
    assert adf_problem(with_footer) is None
    assert adf_text(with_footer) == "\n\n".join(p for p in (plain, "Closebot ticket T-1.") if p)


# -- auth and errors --------------------------------------------------------------------------
def test_401_is_clear_and_never_shows_the_token(jira: FakeJira) -> None:
    backend = JiraBackend(jira.settings(), {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": "revoked-token-123"})
    with pytest.raises(RemoteError) as denied:
        backend.create(ticket())
    assert denied.value.status == 401 and not denied.value.transient
    assert "Client must be authenticated" in str(denied.value) and "JIRA_API_TOKEN" in str(denied.value)
    assert "revoked-token-123" not in str(denied.value)
    assert jira.issues == []


def test_field_errors_come_back_in_jira_words(jira: FakeJira) -> None:
    backend = JiraBackend(jira.settings(project="NOPE", priorities={1: "Urgent"}), jira.env())
    with pytest.raises(RemoteError) as refused:
        backend.create(ticket())
    assert refused.value.status == 400 and not refused.value.transient
    assert refused.value.message == ("project: Specify a valid project ID or key; "
                                     "priority: The priority selected is invalid: Urgent")


def test_429_on_get_is_retried_after_retry_after(jira: FakeJira, backend: JiraBackend) -> None:
    made = backend.create(ticket())
    jira.fail_next(429, "Rate limit exceeded", {"Retry-After": "1"})
    assert backend.get(made.number).number == made.number
    assert calls(jira, "GET") == 2


def test_429_on_post_is_not_retried_and_says_when_to_come_back(jira: FakeJira, backend: JiraBackend) -> None:
    jira.fail_next(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, {"Retry-After": "12"})
    with pytest.raises(RemoteError) as throttled:
        backend.create(ticket())
    assert throttled.value.status == 429 and throttled.value.retry_after == 12.0 and throttled.value.transient
    assert throttled.value.message == "Rate limit exceeded."
    assert calls(jira, "POST") == 1 and jira.issues == []


def test_500_on_get_is_retried_and_on_post_is_not(jira: FakeJira, backend: JiraBackend) -> None:
    made = backend.create(ticket())
    jira.fail_next(500, ERROR_500)
    assert backend.find_by_correlation("conv-42-ticket") == RemoteRef(
        "jira", made.remote_id, made.number, made.url, "To Do")
    assert calls(jira, "GET") == 2
    jira.fail_next(500, ERROR_500)
    with pytest.raises(RemoteError) as failed:
        backend.create(ticket(correlation_id="c-2"))
    assert failed.value.status == 500 and failed.value.message == "Internal server error"
    assert calls(jira, "POST") == 2 and len(jira.issues) == 1
    jira.fail_next(503, "<html>upstream connect error</html>")
    with pytest.raises(RemoteError):
        backend.add_comment(made, "only once")
    assert calls(jira, "POST", "/comment") == 1


def test_a_slow_get_times_out_and_is_retried(jira: FakeJira) -> None:
    backend = JiraBackend(jira.settings(http=fast_http(read_timeout=0.3)), jira.env())
    made = backend.create(ticket())
    jira.delay_next(1.0)
    assert backend.get(made.number).number == made.number
    assert calls(jira, "GET") == 2


def test_a_create_whose_answer_is_lost_is_found_by_correlation(jira: FakeJira) -> None:
    backend = JiraBackend(jira.settings(http=fast_http(read_timeout=0.3)), jira.env())
    jira.delay_next(1.0, after=True)
    with pytest.raises(RemoteError) as lost:
        backend.create(ticket())
    assert lost.value.transient and "timed out" in str(lost.value) and calls(jira, "POST") == 1
    found = backend.find_by_correlation("conv-42-ticket")
    assert found is not None and [i["key"] for i in jira.issues] == [found.number]


def test_malformed_json_is_a_remote_error(jira: FakeJira, backend: JiraBackend) -> None:
    jira.fail_next(201, '{"id": "10000", "key": ')
    with pytest.raises(RemoteError, match="malformed JSON"):
        backend.create(ticket())
    jira.fail_next(200, ["not", "an", "object"])
    with pytest.raises(RemoteError, match="not a JSON object"):
        backend.get("CLOSE-1")
    jira.fail_next(200, {"isLast": True})
    with pytest.raises(RemoteError, match="no 'issues' list"):
        backend.find_by_correlation("conv-42-ticket")


# -- configuration ----------------------------------------------------------------------------
def test_missing_url_and_credentials_are_named_together() -> None:
    with pytest.raises(ConfigError) as missing:
        JiraBackend(JiraSettings(), {"JIRA_EMAIL": EMAIL})
    text = str(missing.value)
    assert "JIRA_BASE_URL" in text and "tickets.jira.url" in text and "JIRA_API_TOKEN" in text
    assert "JIRA_EMAIL" not in text and EMAIL not in text


def test_a_url_that_is_not_a_site_root_is_refused(jira: FakeJira) -> None:
    with pytest.raises(ConfigError, match="like https://host"):
        JiraBackend(jira.settings(url="ftp://example.atlassian.net"), jira.env())


# -- secrets ----------------------------------------------------------------------------------
def test_secrets_stay_out_of_debug_logs(jira: FakeJira, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = JiraBackend(jira.settings(), jira.env())
    ref = backend.create(ticket())
    backend.update_status(ref, "resolved", note="done")
    jira.fail_next(500, ERROR_500)
    with pytest.raises(RemoteError):
        backend.add_comment(ref, "boom")
    jira.accounts[EMAIL] = "rotated"
    with pytest.raises(RemoteError) as denied:
        backend.get(ref.number)
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}  # the DEBUG lines were captured
    encoded = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    for secret in (API_TOKEN, encoded):
        assert secret not in caplog.text and secret not in str(denied.value)
