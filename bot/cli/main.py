"""The ``closebot`` command line: a thin front door to the same services the assistant uses."""

import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import click

from bot.cli.analytics import analytics, report
from bot.cli.db import db
from bot.cli.outbox import outbox
from bot.cli.webchat import webchat
from bot.core.errors import ClosebotError, ScenarioError


@click.group()
def main() -> None:
    """Closebot: find why the period close is blocked."""


@main.group()
def scenario() -> None:
    """Load or check an ERP snapshot ("scenario") file."""


@scenario.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
def scenario_validate(file: Path) -> None:
    """Check FILE against the contract; exit 1 with every error."""
    from bot.scenario.parse import parse_file

    try:
        parse_file(file)
    except ScenarioError as exc:
        _print_errors(file, exc)
        sys.exit(1)
    click.echo(f"{file}: valid")


@scenario.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has companies.")
def scenario_load(file: Path, if_empty: bool) -> None:
    """Replace the snapshot, users and tickets in the database with FILE (all or nothing)."""
    from sqlalchemy import select

    from bot.scenario.load import load_file
    from bot.store.db import session_scope
    from bot.store.models import Company

    try:
        with session_scope() as session:
            if if_empty and session.scalar(select(Company.id).limit(1)) is not None:
                click.echo("database already holds a scenario; not loading")
                return
            counts = load_file(session, file)
    except ScenarioError as exc:
        _print_errors(file, exc)
        click.echo("nothing was loaded", err=True)
        sys.exit(1)
    summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
    click.echo(f"{file}: loaded {summary}")


def _print_errors(file: Path, exc: ScenarioError) -> None:
    for error in exc.errors:
        click.echo(f"{file}: {error}", err=True)


@main.command()
@click.option("--company", required=True, help="Company id, e.g. C100.")
@click.option("--period", default=None, help="YYYY-MM; default the company's current period.")
@click.option("--module", default="general_ledger", show_default=True)
@click.option("--user", default=None, help="Also check this user's permission to close.")
@click.option("--json", "as_json", is_flag=True, help="Print the contract's JSON.")
def diagnose(
    company: str, period: Optional[str], module: str, user: Optional[str], as_json: bool
) -> None:
    """Explain why MODULE cannot close for COMPANY and PERIOD."""
    from bot.diagnosis.engine import diagnose as run_diagnosis
    from bot.diagnosis.render import render_table
    from bot.integrations.statuspage import status_source
    from bot.store.db import session_scope

    try:
        with session_scope() as session:
            result = run_diagnosis(session, company, period=period, module=module, user_id=user,
                                   status=status_source())
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(result))


@main.group()
def tickets() -> None:
    """Close tickets."""


@tickets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--open", "open_only", is_flag=True, help="Only new, in progress and waiting tickets.")
@click.option("--unassigned", is_flag=True, help="Only tickets nobody has picked up.")
@click.option("--assignee", default=None, help="Only tickets assigned to this user id.")
@click.option("--company", default=None, help="Only this company's tickets.")
def tickets_list(
    as_json: bool, open_only: bool, unassigned: bool, assignee: Optional[str], company: Optional[str]
) -> None:
    """List tickets, most urgent first."""
    from bot.core.vocabulary import OPEN_TICKET_STATUSES
    from bot.store.db import session_scope
    from bot.tickets.service import list_tickets
    from bot.tickets.views import render_ticket_table

    with session_scope() as session:
        rows = list_tickets(
            session, company_id=company, statuses=OPEN_TICKET_STATUSES if open_only else None,
            assignee_id=assignee, unassigned=unassigned,
        )
    if as_json:
        click.echo(json.dumps([t.to_dict() for t in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(render_ticket_table(rows))


_ACTOR = click.option("--as", "actor", default=None,
                      help="User id recorded as making the change (audit log, requester's notice).")


def _change_ticket(change: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run one ticket change in a transaction; unknown ticket or user exits 2, a bad value 1."""
    from bot.store.db import session_scope

    try:
        with session_scope() as session:
            ticket = change(session, *args, **kwargs)
            line = f"{ticket.number}: {ticket.status}, assigned to {ticket.assignee_id or 'nobody'}"
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(line)


@tickets.command("assign")
@click.argument("number")
@click.argument("user_id")
@_ACTOR
def tickets_assign(number: str, user_id: str, actor: Optional[str]) -> None:
    """Assign ticket NUMBER to USER_ID; the requester is told at their next message."""
    from bot.tickets.service import assign

    _change_ticket(assign, number, user_id, actor=actor)


@tickets.command("status")
@click.argument("number")
@click.argument("status", type=click.Choice(["new", "in_progress", "waiting"]))
@_ACTOR
def tickets_status(number: str, status: str, actor: Optional[str]) -> None:
    """Set ticket NUMBER's STATUS (resolve with 'tickets resolve', which needs a note)."""
    from bot.tickets.service import update_status

    _change_ticket(update_status, number, status, actor=actor)


@tickets.command("comment")
@click.argument("number")
@click.argument("body")
@_ACTOR
def tickets_comment(number: str, body: str, actor: Optional[str]) -> None:
    """Add the comment BODY to ticket NUMBER."""
    from bot.tickets.service import add_comment

    _change_ticket(add_comment, number, body, author_id=actor)


@tickets.command("resolve")
@click.argument("number")
@click.argument("note")
@click.option("--close", "close", is_flag=True, help="Close rather than resolve.")
@_ACTOR
def tickets_resolve(number: str, note: str, close: bool, actor: Optional[str]) -> None:
    """Resolve ticket NUMBER with a NOTE saying what was done (kept, and sent to the requester)."""
    from bot.tickets.service import resolve

    _change_ticket(resolve, number, note, actor=actor, status="closed" if close else "resolved")


@main.command()
@click.option("--user", "sender", default="u-mei", show_default=True,
              help="Chat as this user id (the demo employee by default).")
@click.option("--server", default="http://127.0.0.1:5005", show_default=True)
def chat(sender: str, server: str) -> None:
    """Talk to the running assistant in the terminal (a server on this machine only)."""
    from bot.cli.chat import require_local, run_chat

    try:
        require_local(server)
    except ClosebotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    run_chat(sender, server)


main.add_command(analytics)
main.add_command(report)
main.add_command(outbox)
main.add_command(webchat)
main.add_command(db)


if __name__ == "__main__":
    main()
