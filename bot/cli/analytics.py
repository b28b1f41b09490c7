"""``closebot analytics consume`` and ``closebot report``: conversation facts in, a report out."""

import asyncio
import logging
import re
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import click

if TYPE_CHECKING:
    from bot.analytics.consumer import BrokerSettings, Counts


@click.group()
def analytics() -> None:
    """Conversation analytics from the Rasa event broker (RabbitMQ)."""


@analytics.command("consume")
@click.option("--drain", "--once", "drain", is_flag=True,
              help="Consume what is queued now, then exit (tests, cron).")
@click.option("--queue", default=None, help="Queue name; default $CLOSEBOT_RABBITMQ_QUEUE or closebot_events.")
def consume(drain: bool, queue: Optional[str]) -> None:
    """Store the facts of every tracker event Rasa publishes; runs until stopped unless --drain.

    Exits 1 when the database cannot take a fact (the message stays queued), 2 when RabbitMQ
    cannot be reached.
    """
    from bot.analytics import consumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = consumer.BrokerSettings.from_env(queue)
    try:
        counts = asyncio.run(consumer.drain(settings) if drain else _run_until_signal(settings))
    except consumer.StoreUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (ConnectionError, OSError) as exc:
        click.echo(f"error: RabbitMQ at {settings.host}:{settings.port} unreachable: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{settings.queue}: {counts}")


async def _run_until_signal(settings: "BrokerSettings") -> "Counts":
    """The long-running consumer, stopped cleanly by Ctrl-C or SIGTERM (after the message in hand)."""
    from bot.analytics import consumer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await consumer.run(settings, stop=stop)


def _period(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter("use YYYY-MM, e.g. 2026-11")
    return value


@click.command("report")
@click.option("--period", default=None, callback=_period, help="Only this close period (YYYY-MM).")
@click.option("--out", "out", default="reports", show_default=True, type=click.Path(path_type=Path),
              help="Directory for the PNG plots and index.html.")
def report(period: Optional[str], out: Path) -> None:
    """Plots and a one-page summary for the finance director; prints the key figures."""
    from bot.analytics.report import key_lines, write_report
    from bot.store.db import session_scope

    with session_scope() as session:
        written = write_report(session, out, period)
    if not written.figures.has_data:
        click.echo("no data yet: no conversation facts stored (run `closebot analytics consume`)")
    for line in key_lines(written.key, period):
        click.echo(line)
    click.echo(f"written: {written.page} and {len(written.images)} plots in {out}")
