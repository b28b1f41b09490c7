"""Conversation keys: the Rasa sender id of each channel conversation.

A channel conversation's key starts with its channel (``slack:``, ``teams:``, ``web:``) followed
by the channel's own ids, never parsed again (Teams ids contain ``:``). The local REST channel
(terminal chat, tests) uses the user id itself and may not use these prefixes, so no REST caller
can speak in a channel conversation.
"""

from typing import Optional

SLACK, TEAMS, WEB = "slack", "teams", "web"
CHANNELS = (SLACK, TEAMS, WEB)


def conversation_key(channel: str, *parts: str) -> str:
    """``slack:T1:D2`` / ``slack:T1:C3:1712345678.000100`` / ``teams:<conversation id>``."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return ":".join((channel, *parts))


def channel_of(key: Optional[str]) -> Optional[str]:
    """The channel a conversation key belongs to, or None for a local (REST) sender id."""
    if not key:
        return None
    head = key.split(":", 1)[0]
    return head if head in CHANNELS and ":" in key else None
