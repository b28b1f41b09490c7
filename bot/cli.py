"""The ``closebot`` command line: a thin front door to the same services the assistant uses."""

import json
import sys
from pathlib import Path
from typing import Optional

import click

from bot.errors import ClosebotError, ScenarioError


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

    from bot.db import session_scope
    from bot.models import Company
    from bot.scenario.load import load_file

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
    from bot.db import session_scope
    from bot.diagnosis.engine import diagnose as run_diagnosis
    from bot.diagnosis.render import render_table

    try:
        with session_scope() as session:
            result = run_diagnosis(session, company, period=period, module=module, user_id=user)
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
def tickets_list(as_json: bool) -> None:
    """List tickets, most urgent first."""
    from bot.db import session_scope
    from bot.tickets import list_tickets, render_ticket_table

    with session_scope() as session:
        rows = list_tickets(session)
    if as_json:
        click.echo(json.dumps([t.to_dict() for t in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(render_ticket_table(rows))


@main.command()
@click.option("--user", "sender", default="u-mei", show_default=True,
              help="Chat as this user id (the demo employee by default).")
@click.option("--server", default="http://127.0.0.1:5005", show_default=True)
def chat(sender: str, server: str) -> None:
    """Talk to the running assistant in the terminal."""
    from bot.chat import run_chat

    run_chat(sender, server)


if __name__ == "__main__":
    main()
