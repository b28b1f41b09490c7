"""When the action server cannot be reached, the user is told so instead of getting silence.

Rasa 3.6 logs a custom action that cannot reach the action server (connection refused or
dropped, timeout, 502/503/504), drops the action's events and carries on: the user usually
gets no answer at all, and nothing in a policy, rule or response can see the failure. So
``install`` wraps Rasa's ``RemoteAction.run`` once per Rasa process: on such a failure the
action answers ``UNAVAILABLE`` and hands the turn back to the user (``action_listen``, so the
same action is not predicted again and again). Nothing else changes: the tracker keeps the
conversation (an active form stays active), and the next message once the action server is
back goes on from there. Any other error, and a rejection (a form's validation), is Rasa's as
before.
"""

import asyncio
import logging
from typing import Any, List

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import BotUttered, Event, FollowupAction
from rasa.shared.exceptions import RasaException

log = logging.getLogger(__name__)

UNAVAILABLE = ("Sorry, I can't do that right now: part of Closebot is temporarily unavailable. "
               "Please try again in a minute; the conversation will go on from here.")
#: statuses of a proxy or load balancer in front of an action server that is down or restarting
UNAVAILABLE_STATUSES = {502, 503, 504}


def unreachable(error: BaseException) -> bool:
    """True when ``error`` (raised by ``RemoteAction.run``) means the action server was not reached."""
    if isinstance(error, ActionExecutionRejection):
        return False
    if isinstance(error, (asyncio.TimeoutError, aiohttp.ClientConnectionError)):
        return True
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientResponseError):
        return cause.status in UNAVAILABLE_STATUSES
    # Rasa raises its own exception without the cause when it could not connect.
    return isinstance(error, RasaException) and "Couldn't connect" in str(error)


def install() -> None:
    """Wrap ``RemoteAction.run`` (once per process)."""
    if getattr(RemoteAction.run, "closebot_outage", False):
        return
    original = RemoteAction.run

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Event]:
        try:
            return await original(self, *args, **kwargs)
        except Exception as error:
            if not unreachable(error):
                raise
            log.error("action server unreachable for %s: the user is told it is temporarily unavailable (%s)",
                      self.name(), error)
            return [BotUttered(UNAVAILABLE), FollowupAction(ACTION_LISTEN_NAME)]

    run.closebot_outage = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]
