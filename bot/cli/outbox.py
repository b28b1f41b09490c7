"""``closebot outbox status|flush|work``: the operators' view of ticket delivery.

Exit codes: 0 done (flush: nothing left undelivered), 1 something is still undelivered
(the reason is printed), 2 the configuration is unusable.
"""

import json
import signal
import sys
import threading
from typing import Any, Dict, Optional

import click

from bot.core.errors import ClosebotError


@click.group("outbox")
def outbox() -> None:
    """Ticket delivery to the remote ticket system (ServiceNow, Jira)."""


def _settings() -> Any:
    from bot.integrations.settings import load_settings

    try:
        return load_settings()
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@outbox.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def outbox_status(as_json: bool) -> None:
    """Counts per state, the oldest wait, the next attempt and why rows failed."""
    from bot.core import clock
    from bot.outbox import report
    from bot.outbox.config import remote_system
    from bot.store.db import session_scope

    settings = _settings()
    with session_scope() as session:
        data = report.status(session, remote_system(settings), clock.now())
    click.echo(json.dumps(data, indent=2) if as_json else report.render(data))


@outbox.command("flush")
@click.option("--retry-failed", is_flag=True, help="Requeue failed rows first (after fixing the cause).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def outbox_flush(retry_failed: bool, as_json: bool) -> None:
    """Deliver everything pending now, ignoring backoff; exit 1 if anything is left undelivered."""
    from bot.core import clock
    from bot.outbox import report, store
    from bot.outbox.config import remote_system
    from bot.outbox.worker import configured_worker
    from bot.store.db import session_scope

    settings = _settings()
    system = remote_system(settings)
    requeued = 0
    outcomes: Dict[str, int] = {}
    try:
        worker = configured_worker(settings)
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if retry_failed:
        with session_scope() as session:
            requeued = store.requeue_failed(session, clock.now(), system)
    if worker is not None:
        outcomes = dict(worker.run_pass(ignore_backoff=True).outcomes)
    with session_scope() as session:
        data = report.status(session, system, clock.now())
    left = data["counts"][store.PENDING] + data["counts"][store.FAILED]
    if as_json:
        click.echo(json.dumps({"requeued": requeued, "outcomes": outcomes, "undelivered": left,
                               "status": data}, indent=2))
    else:
        done = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "nothing to deliver"
        click.echo(f"flush: {done}" + (f" ({requeued} failed row(s) requeued)" if requeued else ""))
        click.echo(report.render(data))
    if left:
        click.echo(_why_left(data, system), err=True)
        sys.exit(1)


def _why_left(data: Dict[str, Any], system: Optional[str]) -> str:
    counts = data["counts"]
    reasons = []
    if system is None:
        reasons.append("tickets are local (tickets.backend / CLOSEBOT_TICKET_BACKEND), so nothing is sent")
    if counts["failed"]:
        reasons.append(f"{counts['failed']} failed (the remote refused them; see above, then --retry-failed)")
    if counts["pending"]:
        last = next((r["last_error"] for r in data["retrying"] if r["last_error"]), None)
        reasons.append(f"{counts['pending']} still pending" + (f": {last}" if last else ""))
    return "undelivered: " + "; ".join(reasons)


@outbox.command("work")
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
def outbox_work(once: bool) -> None:
    """Deliver the outbox until stopped (SIGTERM or Ctrl-C end it after the delivery in hand)."""
    import logging

    from bot.outbox.worker import configured_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings()
    try:
        worker = configured_worker(settings)
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if worker is None:
        click.echo("tickets are local (tickets.backend / CLOSEBOT_TICKET_BACKEND): nothing to deliver")
        return
    if once:
        outcomes = worker.run_pass().outcomes
        click.echo(", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "nothing due")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"delivering to {worker.deliverer.system} (worker {worker.owner}); Ctrl-C stops")
    worker.run_forever(stop)
    click.echo("stopped")
