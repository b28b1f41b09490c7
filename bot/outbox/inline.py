"""The first delivery attempt, made while the user waits for "open a ticket" to answer.

The ticket and its outbox row are committed first (what was promised is durable before
anything is sent); then one attempt runs in a thread for at most ``inline_timeout_seconds``.
When it links in time the reply names the remote number and the "is now INC… in ServiceNow"
notice is marked read (the reply said it); otherwise the reply says "queued" and the notice
reaches the user at a later message, whoever delivers it.
"""

import logging
import threading
import time
from typing import Optional

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.core import clock
from bot.integrations.settings import Settings, current_settings
from bot.outbox import store
from bot.outbox.config import remote_system
from bot.outbox.delivery import link_notice_key
from bot.outbox.views import RemoteState, remote_state
from bot.outbox.worker import Worker, configured_worker
from bot.store.models import Notification, OutboxEntry, Ticket

log = logging.getLogger(__name__)

#: How often the wait looks again when another worker holds the row.
POLL_SECONDS = 0.1


def deliver_now(session: Session, ticket: Ticket, worker: Optional[Worker] = None,
                settings: Optional[Settings] = None) -> Optional[RemoteState]:
    """Commit, try to deliver the ticket's create within the inline timeout, say where it stands.

    None when tickets are local (nothing is committed early then). ``worker`` replaces the
    configured backend (tests).
    """
    settings = settings or current_settings()
    system = worker.deliverer.system if worker is not None else remote_system(settings)
    if system is None:
        return None
    row = store.create_row(session, ticket.id, system)
    if row is None:
        return remote_state(session, ticket.number)  # a ticket from before the remote was configured
    entry_id, correlation_id, pending = row.id, row.correlation_id, row.state == store.PENDING
    session.commit()
    timeout = settings.tickets.outbox.inline_timeout_seconds
    if timeout > 0 and pending:
        try:
            worker = worker or configured_worker(
                settings, sessions=sessionmaker(bind=session.get_bind(), future=True, expire_on_commit=False))
        except Exception:  # noqa: BLE001 - a broken backend setup leaves the ticket queued, never lost
            log.exception("no inline delivery for %s", ticket.number)
            worker = None
        if worker is not None:
            _attempt(worker, entry_id, timeout)
    state = remote_state(session, ticket.number)
    if state is not None and state.linked:
        _mark_notice_read(session, correlation_id)
    return state


def _attempt(worker: Worker, entry_id: int, timeout: float) -> None:
    """Deliver in a thread; wait until it is done (or another worker finished it) or time is up.

    A thread still running at the timeout goes on in the background: it holds the lease and
    records its outcome when the remote answers.
    """
    deadline = time.monotonic() + timeout
    thread = threading.Thread(target=worker.deliver_one, args=(entry_id,), name="closebot-outbox-inline",
                              daemon=True)
    thread.start()
    thread.join(timeout)
    while time.monotonic() < deadline and _still_pending(worker, entry_id):
        time.sleep(POLL_SECONDS)


def _still_pending(worker: Worker, entry_id: int) -> bool:
    """Pending and leased: a delivery is in flight somewhere (an unleased row waits for backoff)."""
    with worker.sessions() as session:
        row = session.get(OutboxEntry, entry_id)
        return row is not None and row.state == store.PENDING and row.lease_owner is not None


def _mark_notice_read(session: Session, correlation_id: str) -> None:
    session.execute(
        update(Notification)
        .where(Notification.idempotency_key == link_notice_key(correlation_id),
               Notification.delivered_at.is_(None))
        .values(delivered_at=clock.now())
        .execution_options(synchronize_session=False)
    )
