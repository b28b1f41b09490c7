"""The analytics consumer: reads the queue Rasa's Pika broker publishes to and stores the facts.

At least once: a message is acknowledged only after its facts are committed, and storing is
idempotent (``bot.analytics.facts``), so a redelivery never counts twice. A message that is
not a tracker event (or that no code path can store) is logged, copied to ``<queue>.malformed``
and acknowledged: it never stops the consumer. When the database is unreachable the message
goes back to the queue: ``drain`` stops there, ``run`` waits and tries again.
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Callable, Optional

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError

from bot.analytics.events import MalformedEvent, parse
from bot.analytics.facts import DUPLICATE, IGNORED, STORED, store_event
from bot.store.db import session_scope

logger = logging.getLogger(__name__)

#: database errors after which the same message may well be stored later
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError)
RETRY_SECONDS = 5.0


class StoreUnavailable(RuntimeError):
    """The database could not take a fact; the message was returned to the queue."""


@dataclass(frozen=True)
class BrokerSettings:
    """Where the events are: the same variables as ``endpoints.production.yml`` (``production.env``)."""

    host: str = "127.0.0.1"
    port: int = 5672
    user: str = "guest"
    password: str = "guest"
    queue: str = "closebot_events"

    @classmethod
    def from_env(cls, queue: Optional[str] = None) -> "BrokerSettings":
        env = os.environ.get
        return cls(host=env("CLOSEBOT_RABBITMQ_HOST") or cls.host,
                   port=int(env("CLOSEBOT_RABBITMQ_PORT") or cls.port),
                   user=env("CLOSEBOT_RABBITMQ_USER") or cls.user,
                   password=env("CLOSEBOT_RABBITMQ_PASSWORD") or cls.password,
                   queue=queue or env("CLOSEBOT_RABBITMQ_QUEUE") or cls.queue)

    @property
    def malformed_queue(self) -> str:
        return f"{self.queue}.malformed"


@dataclass
class Counts:
    """What one run did with the messages it read."""

    stored: int = 0
    duplicate: int = 0
    ignored: int = 0
    malformed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return (f"{self.stored} stored, {self.duplicate} already stored, {self.ignored} not needed, "
                f"{self.malformed} malformed")


def store_body(body: bytes, db_url: Optional[str] = None) -> str:
    """Parse and store one message in its own transaction; STORED, DUPLICATE or IGNORED.

    Raises :class:`MalformedEvent` for a message that is not a tracker event, and the database's
    own error when the store cannot be reached. Two consumers storing the same event at once
    collide on its unique key: the loser finds it stored.
    """
    event = parse(body)
    try:
        with session_scope(db_url) as session:
            return store_event(session, event)
    except IntegrityError:
        return DUPLICATE


async def _connect(settings: BrokerSettings) -> aio_pika.abc.AbstractConnection:
    return await aio_pika.connect(host=settings.host, port=settings.port, login=settings.user,
                                  password=settings.password, timeout=10)


async def _handle(channel: AbstractChannel, settings: BrokerSettings, message: AbstractIncomingMessage,
                  counts: Counts, db_url: Optional[str]) -> None:
    """Store one message, then acknowledge it; see the module's docstring for the failures."""
    try:
        outcome = await asyncio.to_thread(store_body, message.body, db_url)
    except MalformedEvent as exc:
        await _set_aside(channel, settings, message, f"malformed: {exc}")
        counts.add("malformed")
        return
    except TRANSIENT as exc:
        await message.nack(requeue=True)
        raise StoreUnavailable(f"database unavailable, message returned to {settings.queue}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - one poisonous message must not stop the consumer
        logger.exception("could not store a message from %s", settings.queue)
        await _set_aside(channel, settings, message, f"could not be stored: {type(exc).__name__}: {exc}")
        counts.add("malformed")
        return
    await message.ack()
    counts.add(outcome if outcome in (STORED, DUPLICATE, IGNORED) else IGNORED)


async def _set_aside(channel: AbstractChannel, settings: BrokerSettings, message: AbstractIncomingMessage,
                     reason: str) -> None:
    """Log, copy to the malformed queue (with the reason in a header) and acknowledge."""
    logger.warning("skipping a message on %s (%s); copied to %s: %r", settings.queue, reason,
                   settings.malformed_queue, message.body[:200])
    await channel.default_exchange.publish(
        aio_pika.Message(message.body, headers={"x-closebot-reason": reason[:500]},
                         delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
        routing_key=settings.malformed_queue,
    )
    await message.ack()


async def _declare(channel: AbstractChannel, settings: BrokerSettings) -> aio_pika.abc.AbstractQueue:
    """The queue as Rasa declares it (durable, no arguments), and the malformed queue beside it."""
    await channel.declare_queue(settings.malformed_queue, durable=True)
    return await channel.declare_queue(settings.queue, durable=True)


async def drain(settings: BrokerSettings, db_url: Optional[str] = None) -> Counts:
    """Consume what is queued now, then return (tests, cron). Raises :class:`StoreUnavailable`."""
    counts = Counts()
    connection = await _connect(settings)
    async with connection:
        channel = await connection.channel()
        queue = await _declare(channel, settings)
        while True:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                return counts
            await _handle(channel, settings, message, counts, db_url)


async def run(settings: BrokerSettings, db_url: Optional[str] = None,
              stop: Optional[asyncio.Event] = None,
              report: Callable[[Counts], None] = lambda counts: None) -> Counts:
    """Consume until ``stop`` is set; a database outage waits and retries the same message."""
    counts = Counts()
    stop = stop or asyncio.Event()
    connection = await aio_pika.connect_robust(host=settings.host, port=settings.port, login=settings.user,
                                               password=settings.password, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        queue = await _declare(channel, settings)
        logger.info("consuming %s on %s:%s", settings.queue, settings.host, settings.port)
        async with queue.iterator() as messages:
            stopping = asyncio.ensure_future(stop.wait())
            while not stop.is_set():
                following = asyncio.ensure_future(messages.__anext__())
                done, _ = await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if following not in done:
                    following.cancel()
                    break
                try:
                    await _handle(channel, settings, following.result(), counts, db_url)
                except StoreUnavailable as exc:
                    logger.error("%s; retrying in %.0f s", exc, RETRY_SECONDS)
                    await asyncio.sleep(RETRY_SECONDS)
                report(counts)
            stopping.cancel()
    return counts
