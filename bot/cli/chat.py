"""A terminal chat over Rasa's REST channel, as one of the store's users.

The REST channel believes the sender id it is given, so it answers only on the machine it runs
on; the chat refuses any other server rather than send a user id across a network.
"""

import ipaddress
import sys
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import requests

from bot.core.errors import ClosebotError

DEFAULT_SERVER = "http://127.0.0.1:5005"


def require_local(server: str) -> None:
    """Refuse a server that is not on this machine (127.0.0.1, ::1, localhost)."""
    host = urlsplit(server).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise ClosebotError(f"the terminal chat talks only to a server on this machine (127.0.0.1), "
                            f"not {host or server!r}: chat users elsewhere use Slack, Teams or the web chat")


def send(server: str, sender: str, text: str, timeout: float = 30.0) -> List[Dict[str, Any]]:
    """One user message in, the bot's messages out."""
    response = requests.post(
        f"{server}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()


def print_messages(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Print the bot's messages; return the buttons offered last, numbered for the user."""
    buttons: List[Dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            print(f"\033[36mClosebot:\033[0m {message['text']}")
        if message.get("buttons"):
            buttons = message["buttons"]
    for i, button in enumerate(buttons, 1):
        print(f"   [{i}] {button['title']}")
    return buttons


def run_chat(sender: str, server: str = DEFAULT_SERVER, first: Optional[str] = None) -> None:
    print(f"Chatting as {sender}. Type a number to press a button, /quit to leave.")
    buttons: List[Dict[str, Any]] = []
    pending = first or "hi"
    while True:
        text = pending
        pending = None
        if text is None:
            try:
                text = input("\033[33mYou:\033[0m ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            buttons = print_messages(send(server, sender, text))
        except requests.RequestException as exc:
            print(f"(the assistant did not answer: {exc})", file=sys.stderr)
