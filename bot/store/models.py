"""The store: the ERP snapshot of the scenario contract, tickets and the audit log."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.core import clock
from bot.store.columns import ExactDecimal, StringList, UTCDateTime

Base = declarative_base()


class Company(Base):
    __tablename__ = "companies"

    id = Column(String(64), primary_key=True)
    name = Column(String(200))
    current_period = Column(String(7))
    close_deadline = Column(UTCDateTime, nullable=True)
    timezone = Column(String(64), default="UTC")
    # MODULE -> [MODULE]; replaces the default dependencies of the modules it names.
    depends_on = Column(JSON, nullable=True)


class User(Base):
    __tablename__ = "users"

    id = Column(String(64), primary_key=True)
    name = Column(String(200))
    role = Column(String(32))
    company_id = Column(ForeignKey("companies.id"), index=True)
    email = Column(String(200), nullable=True)
    close_permissions = Column(StringList, default=list)


class ModuleState(Base):
    __tablename__ = "module_states"
    __table_args__ = (UniqueConstraint("company_id", "period", "module"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    module = Column(String(32))
    status = Column(String(16))
    message = Column(Text, nullable=True)
    updated_at = Column(UTCDateTime, nullable=True)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_blocking", "company_id", "period", "status", "issues"),)

    id = Column(String(64), primary_key=True)
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    kind = Column(String(16))
    status = Column(String(16))
    issues = Column(StringList, default=list)
    amount = Column(ExactDecimal)
    currency = Column(String(3))
    counterparty = Column(String(200), nullable=True)
    owner_id = Column(ForeignKey("users.id"), nullable=True)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_blocking", "company_id", "period", "status"),)

    id = Column(String(64), primary_key=True)
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    direction = Column(String(3))
    method = Column(String(16))
    status = Column(String(16))
    amount = Column(ExactDecimal)
    currency = Column(String(3))
    order_id = Column(ForeignKey("orders.id"), nullable=True)
    failure_reason = Column(Text, nullable=True)
    owner_id = Column(ForeignKey("users.id"), nullable=True)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_blocking", "company_id", "period", "status"),)

    id = Column(String(64), primary_key=True)
    name = Column(String(200))
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    module = Column(String(32))
    status = Column(String(16))
    error = Column(Text, nullable=True)
    finished_at = Column(UTCDateTime, nullable=True)


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (Index("ix_vouchers_blocking", "company_id", "period", "status"),)

    id = Column(String(64), primary_key=True)
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    status = Column(String(16))
    amount = Column(ExactDecimal, nullable=True)


class Reconciliation(Base):
    __tablename__ = "reconciliations"
    __table_args__ = (Index("ix_reconciliations_period", "company_id", "period"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    company_id = Column(ForeignKey("companies.id"))
    period = Column(String(7))
    module = Column(String(32))
    account = Column(String(64))
    subledger_total = Column(ExactDecimal)
    gl_total = Column(ExactDecimal)


class Component(Base):
    __tablename__ = "components"

    id = Column(String(64), primary_key=True)
    name = Column(String(200))
    status = Column(String(32), index=True)
    affects = Column(StringList, default=list)
    message = Column(Text, nullable=True)
    maintenance_until = Column(UTCDateTime, nullable=True)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_requester", "requester_id", "created_at"),
        Index("ix_tickets_queue", "status", "priority"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(32), unique=True)
    requester_id = Column(ForeignKey("users.id"))
    company_id = Column(ForeignKey("companies.id"), index=True)
    period = Column(String(7), nullable=True)
    category = Column(String(32))
    status = Column(String(16), default="new")
    priority = Column(Integer)
    summary = Column(Text)
    assignee_id = Column(ForeignKey("users.id"), nullable=True)
    created_at = Column(UTCDateTime, default=clock.now)
    updated_at = Column(UTCDateTime, default=clock.now, onupdate=clock.now)
    # Same conversation turn asking twice -> same key -> one ticket.
    idempotency_key = Column(String(200), unique=True, nullable=True)
    # The diagnosis (contract JSON) the ticket was opened from, for whoever picks it up.
    diagnosis = Column(JSON, nullable=True)

    comments = relationship(
        "TicketComment",
        back_populates="ticket", order_by="TicketComment.id", cascade="all, delete-orphan"
    )


class TicketComment(Base):
    __tablename__ = "ticket_comments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(ForeignKey("tickets.id"), index=True)
    author_id = Column(String(64), nullable=True)
    body = Column(Text)
    created_at = Column(UTCDateTime, default=clock.now)

    ticket = relationship("Ticket", back_populates="comments")


class TicketResolution(Base):
    """How a ticket was resolved: the helpdesk's note, kept apart from the running comments.

    A table of its own rather than columns on ``tickets``: databases made before it gained it
    on first use, before there were migrations (the baseline revision adopts such databases).
    A schema change now comes with a revision in ``bot/store/migrations`` (README "Database
    migrations").
    """

    __tablename__ = "ticket_resolutions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(ForeignKey("tickets.id"), index=True)
    resolved_by = Column(String(64))
    note = Column(Text)
    status = Column(String(16))  # resolved | closed
    resolved_at = Column(UTCDateTime, default=clock.now)


class Escalation(Base):
    """A ticket handed to a support group (today: finance advisors) with the conversation.

    One row per ticket and group: escalating again refreshes the transcript and diagnosis
    instead of adding a second row. ``answer`` is empty until an advisor answers.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("ticket_id", "group_role"),
        Index("ix_escalations_queue", "group_role", "answered_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(ForeignKey("tickets.id"))
    group_role = Column(String(32))
    escalated_by = Column(String(64))
    escalated_at = Column(UTCDateTime, default=clock.now)
    note = Column(Text, nullable=True)
    diagnosis = Column(JSON, nullable=True)
    # [{"at": ISO time, "who": "user"|"bot", "text": str}, ...], bounded (bot.conversation.transcript).
    transcript = Column(JSON, nullable=True)
    answer = Column(Text, nullable=True)
    answered_by = Column(String(64), nullable=True)
    answered_at = Column(UTCDateTime, nullable=True)

    ticket = relationship("Ticket")


class Notification(Base):
    """A message for one user, shown in front of their next reply: news of their ticket
    (assigned, commented, resolved, answered) or a colleague's note about a record they own."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_pending", "user_id", "delivered_at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    # Plain strings: a notification outlives nothing it points to, and must not block deletes.
    user_id = Column(String(64))
    ticket_number = Column(String(32), nullable=True)
    body = Column(Text)
    created_at = Column(UTCDateTime, default=clock.now)
    delivered_at = Column(UTCDateTime, nullable=True)
    company_id = Column(String(64), nullable=True)
    # One conversation turn asking twice (a retried action) -> one notification per recipient.
    idempotency_key = Column(String(200), unique=True, nullable=True)


class Conversation(Base):
    """One conversation as a chat channel keys it: a Slack DM or thread, a Teams conversation, a
    web chat session. ``key`` is the Rasa sender id (``slack:T1:D2``); ``address`` is where a
    message to it goes (channel-specific JSON), so ticket news can follow the person there.
    Plain strings, no foreign keys: conversations outlive scenario reloads, like the audit log.
    """

    __tablename__ = "conversations"

    key = Column(String(300), primary_key=True)
    channel = Column(String(16))
    address = Column(JSON)
    created_at = Column(UTCDateTime, default=clock.now)
    last_seen_at = Column(UTCDateTime, default=clock.now)


class InboundMessage(Base):
    """A message a channel verified and accepted: who really said it (``user_id``: the directory
    user, None for someone not registered), in which conversation, under which ``message_id``
    (the id Rasa gives the turn). Actions learn the speaker here, never from the tracker; the
    unique ``(channel, external_id)`` makes a retried delivery (Slack's ``event_id``) a no-op.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_inbound_messages_user", "user_id", "id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    message_id = Column(String(64), unique=True)
    channel = Column(String(16))
    external_id = Column(String(200))
    conversation_key = Column(String(300))
    channel_user_id = Column(String(200))
    user_id = Column(String(64), nullable=True)
    received_at = Column(UTCDateTime, default=clock.now)


class ConversationView(Base):
    """What one verified user is looking at in one conversation, kept on the server: the
    diagnosis the server computed, the root cause in view, the ticket, record and component in
    focus, a pending confirmation (``bot.conversation.view``). A slot never carries any of it.
    Plain strings: a view outlives a scenario reload (a recheck compares against it); whatever
    it names is looked up and access-checked again when shown.
    """

    __tablename__ = "conversation_views"

    conversation_key = Column(String(300), primary_key=True)
    user_id = Column(String(64), primary_key=True)
    state = Column(JSON)
    updated_at = Column(UTCDateTime, default=clock.now)


class ConversationLine(Base):
    """One line of a conversation as the server saw it: what a verified user said in a turn
    and what Closebot answered. Escalations attach these lines, never tracker events (which a
    client can write). Plain strings: lines outlive scenario reloads, like the audit log."""

    __tablename__ = "conversation_lines"
    __table_args__ = (Index("ix_conversation_lines_key", "conversation_key", "user_id", "id"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_key = Column(String(300))
    user_id = Column(String(64))
    message_id = Column(String(64), nullable=True)
    speaker = Column(String(16))  # user | bot
    text = Column(Text)
    at = Column(UTCDateTime, default=clock.now)


class WebChatLine(Base):
    """One line of a web chat as its page shows it: what the person said (or the button they
    pressed), Closebot's answer with its buttons, or ticket news queued for the page to pull.
    The page rebuilds itself from these after a reload; ``id`` orders them and is the page's
    cursor for news. Plain strings, no foreign keys: lines outlive scenario reloads."""

    __tablename__ = "webchat_lines"
    __table_args__ = (Index("ix_webchat_lines_key", "conversation_key", "id"),)
    USER, BOT, NOTICE = "user", "bot", "notice"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_key = Column(String(300))
    speaker = Column(String(16))  # user | bot | notice
    text = Column(Text)
    buttons = Column(JSON, nullable=True)
    at = Column(UTCDateTime, default=clock.now)


class TicketConversation(Base):
    """The conversation a ticket was opened from: its news goes back there (the same thread)."""

    __tablename__ = "ticket_conversations"

    ticket_id = Column(ForeignKey("tickets.id"), primary_key=True)
    conversation_key = Column(String(300))


class NoticeDelivery(Base):
    """A notification being pushed to a chat channel: claimed under a lease so that one replica
    sends it; ``state`` pending (claimed or waiting to retry), sent, or failed (after the last
    attempt it waits for the user's next message instead)."""

    __tablename__ = "notice_deliveries"
    PENDING, SENT, FAILED, LOCAL = "pending", "sent", "failed", "local"
    #: States in which the push, not the user's next reply, delivers the notification.
    PUSHED = (PENDING, SENT)

    notification_id = Column(ForeignKey("notifications.id"), primary_key=True)
    conversation_key = Column(String(300))
    state = Column(String(16), default="pending")
    attempts = Column(Integer, default=0)
    lease_owner = Column(String(100), nullable=True)
    lease_until = Column(UTCDateTime, nullable=True)
    sent_at = Column(UTCDateTime, nullable=True)
    last_error = Column(Text, nullable=True)


class OutboxEntry(Base):
    """One change a remote ticket system must receive: written with the local change, sent later.

    ``correlation_id`` is the ticket's (the same on every row of a ticket): the remote ticket
    carries it, so a create whose answer was lost is found instead of made twice.
    ``idempotency_key`` makes the row itself unique (one create per ticket and system). A
    worker owns a row while ``lease_expires_at`` is in the future (bot.outbox.store.claim).
    """

    __tablename__ = "ticket_outbox"
    __table_args__ = (
        Index("ix_ticket_outbox_due", "state", "system", "next_attempt_at"),
        Index("ix_ticket_outbox_ticket", "ticket_id", "id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(ForeignKey("tickets.id"))
    system = Column(String(32))  # servicenow | jira: the backend configured when it was written
    operation = Column(String(16))  # create | status | comment
    payload = Column(JSON)
    correlation_id = Column(String(100), index=True)
    idempotency_key = Column(String(200), unique=True)
    state = Column(String(16), default="pending")  # pending | delivered | failed
    attempts = Column(Integer, default=0)
    next_attempt_at = Column(UTCDateTime, default=clock.now)
    lease_owner = Column(String(100), nullable=True)
    lease_expires_at = Column(UTCDateTime, nullable=True)
    last_error = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, default=clock.now)
    delivered_at = Column(UTCDateTime, nullable=True)


class TicketLink(Base):
    """The remote ticket a local one became: "CLS-000004 is INC0010001 in ServiceNow"."""

    __tablename__ = "ticket_links"
    __table_args__ = (UniqueConstraint("ticket_id", "system"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(ForeignKey("tickets.id"), index=True)
    system = Column(String(32))
    remote_id = Column(String(100))
    remote_number = Column(String(64))
    url = Column(Text, nullable=True)
    linked_at = Column(UTCDateTime, default=clock.now)


class AuditEntry(Base):
    """What the assistant did for whom: every data access and every change."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime, default=clock.now, index=True)
    actor = Column(String(64), nullable=True, index=True)
    action = Column(String(64))
    company_id = Column(String(64), nullable=True)
    detail = Column(JSON, nullable=True)
    # Audit rows outlive scenario reloads, so company is a plain string, not a foreign key.


class AuditTurn(Base):
    """The conversation turn an audit row was written in (``bot.store.audit.in_turn``).

    A table of its own rather than columns on ``audit_log``: databases made before it gained it
    on first use, before there were migrations (the baseline revision adopts them). It lets the
    analytics consumer find what a turn it read on the event broker did (a diagnosis and its
    blocker kinds, a ticket, an escalation) by the turn's ``message_id``, through an index,
    without reading the audit log from the start.
    """

    __tablename__ = "audit_turns"

    audit_id = Column(ForeignKey("audit_log.id"), primary_key=True)
    conversation_key = Column(String(300))
    message_id = Column(String(64), index=True)

    entry = relationship("AuditEntry")


class AnalyticsTurn(Base):
    """One thing a user said, as the event broker told it (``bot.analytics``): what NLU made of it.

    ``event_key`` is the broker event's identity (sender, type, timestamp, message id), so a
    redelivered event is stored once. ``text`` is kept shortened, for the report's list of the
    messages understood worst; ``guessed_intent`` is the best real intent when NLU fell back.
    """

    __tablename__ = "analytics_turns"
    __table_args__ = (Index("ix_analytics_turns_conversation", "conversation_key", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    event_key = Column(String(64), unique=True)
    conversation_key = Column(String(300))
    message_id = Column(String(64), nullable=True, index=True)
    at = Column(UTCDateTime)
    intent = Column(String(100), nullable=True)
    confidence = Column(Float, nullable=True)
    guessed_intent = Column(String(100), nullable=True)
    text = Column(String(200))
    text_length = Column(Integer)
    fallback = Column(Boolean, default=False)


class AnalyticsFact(Base):
    """One conversation fact from the event stream and the turn's audit rows (``bot.analytics``).

    ``kind``: ``session`` (a conversation started), ``diagnosis`` (``blocked``, ``root_causes`` as
    ``[[kind, first ref], ...]``, ``components`` of system faults), ``ticket``, ``escalation``
    (``ticket_number``), ``fallback`` (the assistant could not follow) or ``form`` (``name``: the form
    that started asking, None when it stopped: what is typed meanwhile is an answer, not a request to
    understand). ``fact_key`` is unique:
    ``audit:<id>`` for a fact read from an audit row, the broker event's key otherwise.
    """

    __tablename__ = "analytics_facts"
    __table_args__ = (Index("ix_analytics_facts_conversation", "conversation_key", "at"),)
    SESSION, DIAGNOSIS, TICKET, ESCALATION, FALLBACK = "session", "diagnosis", "ticket", "escalation", "fallback"
    FORM = "form"

    id = Column(Integer, primary_key=True, autoincrement=True)
    fact_key = Column(String(80), unique=True)
    kind = Column(String(16))
    conversation_key = Column(String(300))
    message_id = Column(String(64), nullable=True)
    at = Column(UTCDateTime)
    company_id = Column(String(64), nullable=True)
    period = Column(String(7), nullable=True)
    module = Column(String(32), nullable=True)
    blocked = Column(Boolean, nullable=True)
    root_causes = Column(JSON, nullable=True)
    components = Column(JSON, nullable=True)
    ticket_number = Column(String(32), nullable=True)
    name = Column(String(100), nullable=True)


SCENARIO_TABLES = (
    NoticeDelivery,
    TicketConversation,
    OutboxEntry,
    TicketLink,
    Notification,
    Escalation,
    TicketResolution,
    TicketComment,
    Ticket,
    Reconciliation,
    Voucher,
    Job,
    Payment,
    Order,
    ModuleState,
    Component,
    User,
    Company,
)
"""Tables a scenario load replaces, children first (delete in this order)."""
