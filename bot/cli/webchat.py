"""``closebot webchat token``: the signed link a deployment hands someone for the web chat.

The token is the only thing that says who is chatting (``bot.channels.webchat``), so it is made
here, where the secret is, for a user the directory knows. A portal can sign the same token
itself with ``CLOSEBOT_WEBCHAT_SECRET`` instead (README "Web chat").
"""

import os
import sys
from typing import Optional

import click


@click.group("webchat")
def webchat() -> None:
    """The web chat page (GET /webchat on the Rasa server)."""


@webchat.command("token")
@click.option("--user", "user_id", required=True, help="The directory user id the page speaks for, e.g. u-lin.")
@click.option("--hours", type=float, default=12, show_default=True, help="How long the token is valid (max 168).")
@click.option("--url", default=None, help="Print the page link instead: BASE/webchat#token=... "
                                          "(e.g. https://closebot.example.com).")
def token(user_id: str, hours: float, url: Optional[str]) -> None:
    """Print a token for USER (the page reads it from the link's #token=...)."""
    from bot.channels import webchat as chat
    from bot.channels.identity import directory_user
    from bot.core import clock
    from bot.store.db import session_scope

    try:
        config = chat.WebChatConfig.from_env(os.environ)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if config is None:
        click.echo(f"error: set {chat.SECRET_VARIABLE} (the Rasa server's value) first", err=True)
        sys.exit(2)
    if not 0 < hours <= chat.MAX_HOURS:
        click.echo(f"error: --hours must be more than 0 and at most {chat.MAX_HOURS}", err=True)
        sys.exit(2)
    with session_scope() as session:
        if directory_user(session, user_id) is None:
            click.echo(f"error: no user {user_id!r} in the user directory", err=True)
            sys.exit(1)
    signed = chat.issue(config.secret, user_id, clock.now(), hours)
    click.echo(f"{url.rstrip('/')}/webchat#token={signed}" if url else signed)
