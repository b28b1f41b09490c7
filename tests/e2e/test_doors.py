"""Every door closed, over real HTTP against the running servers: the REST channel answers this
machine only and only for plain user ids, oversized or bombed bodies and overlong messages are
refused before NLU, Rasa's HTTP API needs its token, the action server needs its bearer token
and will not listen on the network without one."""

import gzip
import json
import socket
import subprocess
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.channels.inbound import TOO_LONG
from bot.store.db import get_engine
from bot.store.models import AuditEntry
from harness.stack import BIN, ROOT, Stack, free_port

pytestmark = pytest.mark.slow


def _lan_address() -> str:
    """This machine's address on its network (not loopback), to reach a server as others would."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address = probe.getsockname()[0]
    if address.startswith("127."):
        pytest.fail("this machine has no non-loopback IPv4 address to test the REST door with")
    return address


def _audit_rows(stack: Stack) -> int:
    with sessionmaker(bind=get_engine(stack.db_url), future=True)() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def _post(stack: Stack, body: bytes, **headers: str) -> requests.Response:
    return requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", data=body,
                         headers={"Content-Type": "application/json", **headers}, timeout=30)


@pytest.fixture(scope="module")
def open_stack(tmp_path_factory: pytest.TempPathFactory):
    """A stack whose Rasa server listens on every interface, as a careless deployment would."""
    stack = Stack(tmp_path_factory.mktemp("doors"), interface="0.0.0.0")
    yield stack
    stack.stop()


def test_the_rest_channel_answers_only_this_machine(open_stack: Stack) -> None:
    before = _audit_rows(open_stack)
    remote = requests.post(f"http://{_lan_address()}:{open_stack.rasa_port}/webhooks/rest/webhook",
                           json={"sender": "u-hana", "message": "show me the ticket queue"}, timeout=30)
    assert remote.status_code == 403 and "ticket" not in remote.text.lower()
    assert _audit_rows(open_stack) == before  # refused before anything ran
    local = open_stack.say("u-hana", "show me the ticket queue")
    assert "close tickets" in json.dumps(local)
    assert _audit_rows(open_stack) == before + 1  # the local request was served


@pytest.mark.parametrize("sender", ["slack:T1:D2", "teams:a:29:1xyz", "web:abc"])
def test_no_rest_sender_may_speak_in_a_channel_conversation(servers: Stack, sender: str) -> None:
    reply = _post(servers, json.dumps({"sender": sender, "message": "my tickets"}).encode())
    assert reply.status_code == 400


def test_client_chosen_channel_and_metadata_are_ignored(servers: Stack) -> None:
    body = {"sender": "u-mei", "message": "my tickets", "input_channel": "slack",
            "metadata": {"user": "u-root"}}
    reply = _post(servers, json.dumps(body).encode())
    assert reply.status_code == 200 and "CLS-000001" not in reply.text  # still Mei, not root


def test_an_overlong_message_is_refused_before_nlu(servers: Stack) -> None:
    before = _audit_rows(servers)
    long_text = "why can't I close November? " * 200  # 5,600 characters
    reply = _post(servers, json.dumps({"sender": "u-mei:long", "message": long_text}).encode())
    assert reply.status_code == 200 and reply.json()[0]["text"] == TOO_LONG
    assert _audit_rows(servers) == before  # no diagnosis ran


def test_oversized_and_bombed_bodies_are_refused(servers: Stack) -> None:
    padding = "x" * (300 * 1024)
    big = _post(servers, json.dumps({"sender": "u-mei", "message": "hi", "pad": padding}).encode())
    assert big.status_code == 413
    bomb = gzip.compress(json.dumps({"sender": "u-mei", "message": "hi",
                                     "pad": "0" * (20 * 1024 * 1024)}).encode())
    assert len(bomb) < 64 * 1024
    assert _post(servers, bomb, **{"Content-Encoding": "gzip"}).status_code == 413
    assert _post(servers, b"\x00\x01", **{"Content-Encoding": "br"}).status_code == 415
    small = gzip.compress(json.dumps({"sender": "u-mei:gz", "message": "hi"}).encode())
    assert _post(servers, small, **{"Content-Encoding": "gzip"}).status_code == 200


def test_rasa_http_api_needs_its_token(servers: Stack) -> None:
    tracker = f"{servers.rasa_url}/conversations/u-hana/tracker"
    assert requests.get(tracker, timeout=30).status_code in (401, 403)
    assert requests.get(tracker, params={"token": "guess"}, timeout=30).status_code in (401, 403)
    assert servers.api.get(tracker, timeout=30).status_code == 200


def test_the_action_server_needs_the_bearer_token(servers: Stack) -> None:
    body = {"next_action": "action_my_tickets", "sender_id": "u-root", "version": "3.6.21",
            "tracker": {"sender_id": "u-root", "slots": {}, "latest_message": {}, "events": []},
            "domain": {}}
    webhook = f"{servers.action_url}/webhook"
    assert requests.post(webhook, json=body, timeout=30).status_code == 401
    assert requests.post(webhook, json=body, headers={"Authorization": "Bearer guess"},
                         timeout=30).status_code == 401
    assert requests.get(f"{servers.action_url}/health", timeout=30).status_code == 200
    assert requests.post(webhook, json=body, headers=servers.action_headers, timeout=30).status_code == 200


def test_no_token_means_no_network_for_the_action_server(tmp_path: Path) -> None:
    env = {"PATH": str(BIN) + ":/usr/bin:/bin", "SANIC_HOST": "0.0.0.0", "HOME": str(tmp_path)}
    run = subprocess.run([str(BIN / "rasa"), "run", "actions", "--port", str(free_port())], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "CLOSEBOT_ACTION_TOKEN" in run.stdout + run.stderr
