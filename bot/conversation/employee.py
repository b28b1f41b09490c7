"""What the assistant says and does for an employee or accountant: the services the actions call.

Every function takes the sender id (the store's user id), checks who is asking
(``known_user``), records the access in the audit log and returns a ``Reply``: texts,
buttons and the slot values the conversation should remember. Nothing here knows about Rasa.
"""

from datetime import datetime
from typing import List, Optional, Sequence, Tuple, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import helpdesk, knowledge, transcript
from bot.conversation import view as views
from bot.conversation.companies import company_meant
from bot.conversation.render import diagnosis_buttons, local_time, render_blocker, render_diagnosis
from bot.conversation.reply import (
    MY_TICKETS,
    NEXT,
    RECHECK,
    STATUS,
    TICKET,
    Button,
    Reply,
    intent_button,
    known_user,
)
from bot.conversation.targets import Said, as_said, named_or_focus, target
from bot.conversation.view import View
from bot.core import clock
from bot.core.errors import NotFoundError, PermissionDenied
from bot.core.text import shorten
from bot.core.vocabulary import DONE_TICKET_STATUSES, MODULE_LABELS, OPEN_TICKET_STATUSES, module_words
from bot.diagnosis.engine import diagnose
from bot.diagnosis.kinds import kind_words
from bot.diagnosis.result import Blocker, Diagnosis
from bot.diagnosis.status import StatusReading, age_text, caveat
from bot.fixes import owner_notes
from bot.fixes.guide import SHOWN_ALL, Guide, guide
from bot.fixes.recheck import compare
from bot.integrations.statuspage import current_status, status_source
from bot.nlp.normalize import resolve_module, resolve_period
from bot.nlp.target import module_is_target
from bot.outbox.config import system_name
from bot.outbox.inline import deliver_now
from bot.outbox.views import labelled, remote_states
from bot.people.access import (
    ACCESS_HELP,
    CROSS_COMPANY_ROLES,
    HELPDESK_ROLES,
    find_user,
    require_company_access,
)
from bot.people.directory import display, people_text
from bot.store import audit
from bot.store.companies import companies_called
from bot.store.models import Company, Component, Job, Ticket, User
from bot.tickets import service as tickets
from bot.tickets.content import category_for
from bot.tickets.views import topic

#: Words that mean "the company I did not just look at" ("no, the other company").
OTHER_COMPANY_WORDS = ("other", "another", "另一", "另外", "别的")
#: Answers to "anything to add?" that mean "no note".
SKIP_WORDS = {"no", "nope", "nothing", "n", "skip", "no thanks", "nah", "-", "none"}


def greet(session: Session, sender: str) -> Reply:
    user = find_user(session, sender)
    if user is None:
        return Reply([f"Hi! {ACCESS_HELP}"])
    first = user.name.split()[0]
    return Reply(
        [f"Hi {first}! I'm Closebot. Tell me what won't close (e.g. \"I can't close November\") "
         "and I'll find the cause in the business systems."],
        [Button("Why can't I close?", "/report_blocked_close"), MY_TICKETS, STATUS],
    )


@known_user
def diagnose_close(
    session: Session,
    user: User,
    *,
    conversation: str = "",
    company_text: Optional[str] = None,
    period_text: Optional[str] = None,
    module_text: Union[str, Sequence[str], None] = None,
    message: Optional[str] = None,
    follow_up: bool = False,
    now: Optional[datetime] = None,
) -> Reply:
    """Diagnose a blocked close and explain the first root cause in full.

    What is not named comes from the diagnosis in view: its company always ("no, the other
    company" means the one besides it), its period and module on a follow-up ("what about
    C200?", ``follow_up``). A module counts only when the message is about closing it
    ("AR is still running, can we close?" asks about the general ledger). Support staff who
    name no company get their directory company and a reminder that they may name another.
    """
    now = now or clock.now()
    view = views.load(session, conversation, user.id)
    before = view.diagnosis
    if company_text and _means_other_company(company_text):
        picked = _other_company(session, user, before.company if before else None)
        if isinstance(picked, Reply):
            return picked
        company_text = picked
    if not company_text and before is not None:
        company_text = before.company
    module_text = _target_module(message, module_text, before.module if follow_up and before else None)
    if company_text:
        meant = company_meant(user, company_text, companies_called(session, company_text), "report_blocked_close",
                              period=period_text, module=module_text)
        if isinstance(meant, Reply):
            return meant
        company: Optional[Company] = meant
    else:
        company = session.get(Company, user.company_id)
    if company is None:
        return Reply([f"I don't know your company {user.company_id!r} yet; an administrator adds it."])
    if follow_up and before is not None and company.id == before.company:
        period_text = period_text or before.period
    try:
        require_company_access(user, company.id)
    except PermissionDenied as exc:
        audit.record(session, user.id, "diagnose_refused", company.id, {"reason": str(exc)})
        return Reply([str(exc)])
    period = company.current_period
    if period_text:
        period = resolve_period(period_text, company.current_period) or ""
        if not period:
            return Reply([f"I couldn't read {period_text!r} as a period. Try \"October\" or "
                          f"\"2026-10\"; {company.id} is in {company.current_period}."])
    module = "general_ledger"
    if module_text:
        module = resolve_module(module_text) or ""
        if not module:
            names = ", ".join(MODULE_LABELS.values())
            return Reply([f"I don't know a module {module_text!r}. I know: {names}."])
    result = _diagnosis(session, user, company.id, period, module, now)
    if isinstance(result, Reply):
        return result
    audit.record(
        session, user.id, "diagnose", company.id,
        {"period": period, "module": module, "blockers": len(result.blockers),
         # what was found, for the analytics report: each root cause's kind and first record,
         # the status-page components at fault
         "root_causes": [[b.kind, b.refs[0] if b.refs else ""] for b in result.root_causes],
         "components": sorted({ref for b in result.blockers if b.kind == "system_fault" for ref in b.refs})},
    )
    view.show(result)
    views.save(session, view)
    first = _guide(session, result, 0, user.id, now)
    texts = render_diagnosis(result, company, first, now)
    if not company_text and user.role in CROSS_COMPANY_ROLES:
        texts.append(f"(I checked your own company {company.id}; name another company id to check it.)")
    return Reply(texts, diagnosis_buttons(result, 0, first), {"has_blockers": not result.can_close})


def _diagnosis(session: Session, user: User, company_id: str, period: str, module: str,
               now: Optional[datetime] = None) -> Union[Diagnosis, Reply]:
    """The diagnosis the server computes now (permission is checked only for the company's own
    people); what to say instead when it cannot run."""
    as_user = user.id if user.company_id == company_id else None
    try:
        return diagnose(session, company_id, period=period, module=module, user_id=as_user,
                        now=now or clock.now(), status=status_source())
    except NotFoundError as exc:
        return Reply([f"I can't diagnose that: {exc}."])


def fresh_diagnosis(session: Session, user: User, shown: Diagnosis) -> Union[Diagnosis, Reply]:
    """``shown``'s close diagnosed again now: what tickets and escalations store, never a
    diagnosis that came back from the conversation."""
    refused = refuse_unseen(session, user, shown)
    if refused is not None:
        return refused
    return _diagnosis(session, user, shown.company, shown.period, shown.module)


def _target_module(message: Optional[str], named: Union[str, Sequence[str], None],
                   in_view: Optional[str]) -> Optional[str]:
    """The module the message asks to close: the first named one it ties to closing; else the
    module in view on a follow-up; else None (the general ledger)."""
    mentions = [named] if isinstance(named, str) else list(named or [])
    for mention in mentions:
        if mention and module_is_target(message, mention):
            return mention
    return in_view


def _means_other_company(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in OTHER_COMPANY_WORDS)


def _visible_companies(session: Session, user: User) -> List[str]:
    if user.role in CROSS_COMPANY_ROLES:
        return list(session.scalars(select(Company.id).order_by(Company.id)).all())
    return [user.company_id]


def _other_company(session: Session, user: User, previous: Optional[str]) -> Union[str, Reply]:
    """The one company other than ``previous`` the user may see, or a question or refusal."""
    visible = _visible_companies(session, user)
    others = [c for c in visible if c != (previous or user.company_id)]
    if not others:
        audit.record(session, user.id, "diagnose_refused", previous, {"reason": "other company"})
        return Reply([f"You can only look at company {user.company_id}, so there is no other company "
                      "I can show you. For another company, ask its accountants or the helpdesk."],
                     slots={"has_blockers": None})
    if len(others) == 1:
        return others[0]
    return _company_question(others, "Which company do you mean?")


def _company_question(companies: List[str], question: str) -> Reply:
    shown = companies[:5]
    more = f" (or type another id: {len(companies) - len(shown)} more)" if len(companies) > 5 else ""
    buttons = [intent_button(c, "inform", company=c) for c in shown]
    return Reply([question + more], buttons, {"has_blockers": None})


@known_user
def next_blocker(session: Session, user: User, *, conversation: str = "") -> Reply:
    """Walk to the next root cause of the diagnosis the user is looking at."""
    view = views.load(session, conversation, user.id)
    result = view.diagnosis
    if result is None:
        return Reply(["Let me look first: which period and company? "
                      "(e.g. \"why can't I close November?\")"])
    refused = refuse_unseen(session, user, result)
    if refused is not None:
        return refused
    roots = result.root_causes
    nxt = max(view.index + 1, 0)
    if nxt >= len(roots):
        more = "" if roots else " There was nothing blocking."
        if caveat(result.system_status):
            more += " " + caveat(result.system_status)
        view.index = len(roots)
        views.save(session, view)
        return Reply(
            [f"That was the last root cause.{more} Fix them and ask me to check again, "
             "or open a ticket if someone else must act."],
            [RECHECK, TICKET],
        )
    guided = _guide(session, result, nxt, user.id)
    audit.record(session, user.id, "blocker_read", result.company,
                 {"period": result.period, "refs": roots[nxt].refs})
    view.look_at(nxt)
    views.save(session, view)
    text = f"{nxt + 1}/{len(roots)} " + render_blocker(result, roots[nxt], guided)
    return Reply([text], diagnosis_buttons(result, nxt, guided))


def refuse_unseen(session: Session, user: User, result: Diagnosis) -> Optional[Reply]:
    """Whether the user may still see ``result``'s company, checked when it is shown."""
    try:
        require_company_access(user, result.company)
    except PermissionDenied as exc:
        audit.record(session, user.id, "blocker_refused", result.company, {"reason": str(exc)})
        return Reply([str(exc)])
    return None


def _guide(session: Session, result: Diagnosis, index: int, viewer: str,
           now: Optional[datetime] = None, limit: Optional[int] = None) -> Optional[Guide]:
    roots = result.root_causes
    if not 0 <= index < len(roots):
        return None
    kwargs = {"limit": limit} if limit else {}
    return guide(session, result, roots[index], viewer, now=now, **kwargs)


def _in_view(session: Session, user: User, conversation: str) -> Union[Tuple[View, Diagnosis, int], Reply]:
    """The view, its diagnosis and the root cause the user is looking at, or what to say instead."""
    view = views.load(session, conversation, user.id)
    result = view.diagnosis
    if result is None:
        return Reply(["I haven't diagnosed anything yet. Tell me what won't close "
                      "(e.g. \"why can't I close November?\")."])
    refused = refuse_unseen(session, user, result)
    if refused is not None:
        return refused
    if not result.root_causes:
        unknown = caveat(result.system_status)
        return Reply([f"Nothing blocks {result.company} {result.period}: there is nobody to chase."
                      + (f" {unknown}" if unknown else "")],
                     [MY_TICKETS, STATUS])
    position = min(max(view.index, 0), len(result.root_causes) - 1)
    return view, result, position


@known_user
def show_all_records(session: Session, user: User, *, conversation: str = "") -> Reply:
    """Every record of the root cause in view (up to a message's worth)."""
    found = _in_view(session, user, conversation)
    if isinstance(found, Reply):
        return found
    _, result, position = found
    guided = _guide(session, result, position, user.id, limit=SHOWN_ALL)
    audit.record(session, user.id, "blocker_read", result.company,
                 {"period": result.period, "refs": result.root_causes[position].refs})
    text = render_blocker(result, result.root_causes[position], guided)
    buttons = [b for b in diagnosis_buttons(result, position, guided) if b.payload != "/show_all_records"]
    return Reply([text], buttons)


@known_user
def notify_owner(session: Session, user: User, *, conversation: str = "",
                 idempotency_key: Optional[str] = None) -> Reply:
    """Leave the owners of the root cause in view a note with what to fix."""
    found = _in_view(session, user, conversation)
    if isinstance(found, Reply):
        return found
    _, result, position = found
    blocker = result.root_causes[position]
    people = owner_notes.owners(session, result, blocker)
    others = [p for p in people if p[0] != user.id]
    refs = ", ".join(blocker.refs) or blocker.module
    if not others:
        if people:
            return Reply([f"You own {refs} yourself, so there is nobody else to notify. "
                          "Fix it and say \"check again\", or open a ticket if you are stuck."],
                         [RECHECK, TICKET])
        role = blocker.owner_role.replace("_", " ")
        return Reply([f"Nobody at {result.company} is on record for {refs} (it needs the {role}). "
                      "Open a ticket and the helpdesk will find the right person."], [TICKET])
    owner_notes.notify(session, user, result, blocker, others, idempotency_key)
    return Reply(
        [f"📨 Done: I've passed {people_text(others)} a note about {refs} with the fix. They'll see "
         "it with their next message to me. Say \"check again\" once it's fixed."],
        [RECHECK, TICKET],
    )


@known_user
def prevent_recurrence(session: Session, user: User, *, conversation: str = "") -> Reply:
    """Prevention advice for the root cause in view (the overview when nothing is in view)."""
    view = views.load(session, conversation, user.id)
    if view.diagnosis is not None and refuse_unseen(session, user, view.diagnosis) is None:
        return knowledge.prevent_recurrence(view.diagnosis.to_dict(), view.index)
    return knowledge.prevent_recurrence(None)


@known_user
def recheck(session: Session, user: User, *, conversation: str = "", now: Optional[datetime] = None) -> Reply:
    """Diagnose the same close again and say what changed since the last look."""
    before = views.load(session, conversation, user.id).diagnosis
    if before is None:
        return diagnose_close(session, user.id, conversation=conversation, now=now)
    reply = diagnose_close(session, user.id, conversation=conversation, company_text=before.company,
                           period_text=before.period, module_text=before.module, now=now)
    view = views.load(session, conversation, user.id)
    after = view.diagnosis
    if after is None or after is before or "has_blockers" not in reply.slots:
        return reply
    changes = compare(before, after)
    target = module_words(after.module)
    lines = [f"🔁 Rechecked {after.company} {after.period} ({target}):"]
    if changes.fixed:
        lines.append("✅ Fixed: " + _keys_text(changes.fixed))
    if changes.closed:
        lines.append("✅ Closed since: " + ", ".join(module_words(m) for m in changes.closed))
    if changes.still:
        lines.append("⏳ Still open: " + _keys_text(changes.still))
    if changes.new:
        lines.append("🆕 New: " + _keys_text(changes.new))
    if changes.unknown:
        lines.append("❔ Can't tell (the status page cannot be read): " + _keys_text(changes.unknown))
    if not (changes.fixed or changes.new or changes.closed or changes.unknown):
        lines.append("Nothing changed since the last check.")
    unknown = caveat(after.system_status)
    if unknown and not after.can_close:
        lines.append(f"⚠️ {unknown}")
    if unknown and after.can_close:
        lines.append(f"Nothing in the records blocks any more. ⚠️ {unknown} Check again before you run "
                     "the close.")
        return Reply(["\n".join(lines)], [RECHECK, STATUS], reply.slots)
    if after.can_close:
        lines.append("Nothing blocks any more: you can run the close now.")
        return Reply(["\n".join(lines)], [MY_TICKETS, STATUS], reply.slots)
    lines.append(f"{len(after.root_causes)} root cause{'s' if len(after.root_causes) != 1 else ''} "
                 "left. Say \"next\" to go through them.")
    view.index = -1
    views.save(session, view)
    return Reply(["\n".join(lines)], [NEXT, TICKET], reply.slots)


def _keys_text(keys: List[Tuple[str, str]]) -> str:
    shown = ", ".join(f"{ref} ({kind_words(kind)})" for kind, ref in keys[:6])
    return shown + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")


@known_user
def open_ticket(
    session: Session,
    user: User,
    *,
    note: Optional[str],
    idempotency_key: Optional[str],
    conversation: str = "",
    company_text: Optional[str] = None,
    period_text: Optional[str] = None,
    module_text: Optional[str] = None,
) -> Reply:
    """Open (once) a ticket carrying a diagnosis the server computes now; diagnose first when
    nothing is in view.

    The ticket is about the root cause in view: asked while looking at an outage, it is an
    incident (category ``system_fault``) whose priority follows that outage. The note is kept
    only when the user typed it in this conversation (a slot can be forged).
    """
    view = views.load(session, conversation, user.id)
    if view.diagnosis is None:
        first = diagnose_close(session, user.id, conversation=conversation, company_text=company_text,
                               period_text=period_text, module_text=module_text)
        view = views.load(session, conversation, user.id)
        if view.diagnosis is None:
            return first
    shown = view.diagnosis
    refused = refuse_unseen(session, user, shown)
    if refused is not None:
        return refused
    result = _diagnosis(session, user, shown.company, shown.period, shown.module)
    if isinstance(result, Reply):
        return result
    note = transcript.said_here(session, conversation, user.id, note)
    note = None if note is None or note.strip().lower() in SKIP_WORDS else note.strip()
    focus = same_blocker(result, view.blocker)
    category = focus.kind if focus is not None else category_for(result)
    earlier = conversation and tickets.open_in_conversation(
        session, conversation, requester_id=user.id, company_id=result.company, period=result.period,
        category=category)
    if earlier:
        view.focus_ticket(earlier.number)
        views.save(session, view)
        noun = "incident" if earlier.category == "system_fault" else "ticket"
        return Reply([f"🎫 You already have {noun} {earlier.number} open for {result.company} {result.period} "
                      f"({earlier.status.replace('_', ' ')}, priority {earlier.priority}); I've not opened "
                      f"another. Ask me \"status of {earlier.number}\" any time, or add to it with "
                      f"\"comment on {earlier.number}\"."],
                     [MY_TICKETS], {"ticket_note": None})
    ticket = tickets.create_ticket(
        session, requester_id=user.id, company_id=result.company, diagnosis=result, note=note,
        idempotency_key=idempotency_key, focus=focus, conversation=conversation or None,
    )
    view.focus_ticket(ticket.number)
    views.save(session, view)
    remote = deliver_now(session, ticket)  # commits the ticket first when it goes to a remote system
    noun = "Incident" if ticket.category == "system_fault" else "Ticket"
    shown_number = ticket.number if remote is None or not remote.linked else f"{ticket.number} ({remote.label})"
    head = (f"🎫 {noun} {shown_number} is open (priority {ticket.priority}, {ticket.category}) for "
            f"{result.company} {result.period}, with the diagnosis attached.")
    ask = f"Ask me \"status of {ticket.number}\" any time."
    if remote is not None and remote.queued:
        name = system_name(remote.system)
        text = (f"{head} {name} isn't answering right now, so it is queued here as {ticket.number} and will "
                f"be delivered automatically; I'll tell you its {name} number once it's there. {ask}")
    elif remote is not None and not remote.linked:
        text = (f"{head} {system_name(remote.system)} did not accept it, so it is kept here as "
                f"{ticket.number} and an operator will resend it. {ask}")
    else:
        text = f"{head} The helpdesk will pick it up; ask me \"status of {ticket.number}\" any time."
    return Reply([text], [MY_TICKETS], {"ticket_note": None})


@known_user
def ask_ticket_note(session: Session, user: User, *, conversation: str = "") -> Reply:
    """The ticket form's question, naming what the ticket will be about (the blocker in view)."""
    view = views.load(session, conversation, user.id)
    shown = view.diagnosis
    if shown is not None and refuse_unseen(session, user, shown) is not None:
        shown = None
    about = f" for {shown.company} {shown.period}" if shown is not None else ""
    blocker = view.blocker if shown is not None else None
    outage = blocker is not None and blocker.kind == "system_fault"
    noun = f"an incident about {', '.join(blocker.refs)}" if outage else "a ticket"
    return Reply([f"I'll open {noun}{about} with my diagnosis attached. Anything to add for the "
                  "helpdesk, e.g. what you already tried? Say 'no' to skip."])


def same_blocker(result: Diagnosis, shown: Optional[Blocker]) -> Optional[Blocker]:
    """The root cause of the fresh ``result`` that is the one the user was shown: same kind and
    a record in common, else same kind; else the first root cause (None when nothing blocks)."""
    roots = result.root_causes
    if not roots:
        return None
    if shown is None:
        return roots[0]
    for blocker in roots:
        if blocker.kind == shown.kind and (set(blocker.refs) & set(shown.refs) or not shown.refs):
            return blocker
    return next((b for b in roots if b.kind == shown.kind), roots[0])


@known_user
def ticket_status(session: Session, user: User, said: Union[Said, str, None], *,
                  conversation: str = "") -> Reply:
    """The ticket the message names (or the one in focus); the user's tickets when neither."""
    view = views.load(session, conversation, user.id)
    said = as_said(said)
    said = Said(said.message, said.entity, view.ticket)
    if named_or_focus(session, said) is None:
        return my_tickets(session, user.id)
    ticket = target(session, user, said, "status")
    if isinstance(ticket, Reply):
        return ticket
    audit.record(session, user.id, "ticket_read", ticket.company_id, {"number": ticket.number})
    view.focus_ticket(ticket.number)
    views.save(session, view)
    return Reply([ticket_text(session, ticket)])


def ticket_text(session: Session, ticket: Ticket) -> str:
    """A ticket in a few lines: status, priority, who has it, the summary, the latest word."""
    assignee = display(session.get(User, ticket.assignee_id), ticket.assignee_id) if ticket.assignee_id \
        else "nobody yet"
    shown = labelled(ticket.number, remote_states(session, [ticket.number]))
    text = (f"{shown}: {ticket.status.replace('_', ' ')} · priority {ticket.priority} · "
            f"assigned to {assignee}\n{ticket.summary}")
    resolution = tickets.latest_resolution(session, ticket) if ticket.status in DONE_TICKET_STATUSES else None
    if resolution is not None:
        text += f"\nResolution ({resolution.resolved_by}): {resolution.note}"
    elif ticket.comments:
        latest = ticket.comments[-1]
        text += f"\nLatest note ({latest.author_id or 'system'}): {latest.body}"
    return text


@known_user
def my_tickets(session: Session, user: User) -> Reply:
    if user.role in HELPDESK_ROLES:
        # For the helpdesk, "my tickets" are the ones they work on, not ones they raised.
        return helpdesk.queue(session, user.id, "mine")
    rows = tickets.list_tickets(session, requester_id=user.id, limit=10)
    audit.record(session, user.id, "tickets_list", user.company_id, {"count": len(rows)})
    if not rows:
        return Reply(["You have no tickets. If a close is stuck, tell me and I'll look."])
    remote = remote_states(session, [r.number for r in rows])
    lines = [f"• {labelled(r.number, remote)} [{r.status.replace('_', ' ')}, P{r.priority}] {r.company} "
             f"{r.period or ''}: {shorten(topic(r.summary, r.company, r.period), 90)}" for r in rows]
    open_count = sum(r.status in OPEN_TICKET_STATUSES for r in rows)
    return Reply([f"Your tickets ({open_count} open):\n" + "\n".join(lines)])


@known_user
def system_status(session: Session, user: User, *, conversation: str = "") -> Reply:
    """Components that are not operational (the store's and the status page's) and the
    company's failed or stuck batch jobs. Says "unknown" when the status page cannot be read:
    never "all operational" without a reading."""
    company = session.get(Company, user.company_id)
    reading = current_status()
    live = {c.id for c in reading.components} if reading is not None else set()
    stored = session.scalars(
        select(Component).where(Component.status != "operational").order_by(Component.name)
    ).all()
    page_down = [c for c in reading.components if not c.operational] if reading is not None else []
    components = sorted([c for c in stored if c.id not in live] + page_down, key=lambda c: c.name)
    total = session.scalar(select(Component.id).limit(1))
    jobs = session.scalars(
        select(Job)
        .where(Job.company_id == company.id, Job.period == company.current_period,
               Job.status != "succeeded")
        .order_by(Job.id)
    ).all()
    audit.record(session, user.id, "system_status", company.id,
                 {"components": len(components), "jobs": len(jobs),
                  "status_page": None if reading is None else ("ok" if reading.available else "unknown")})
    unknown = caveat(reading)
    lines: List[str] = [f"⚠️ {unknown}"] if unknown else []
    closing = [c for c in components if c.affects] or components
    if len(closing) == 1:  # "when is it back?" is about the one outage that holds up a close
        view = views.load(session, conversation, user.id)
        view.focus_component(closing[0].id)
        views.save(session, view)
    if components:
        lines.append("Components not fully working:")
        for c in components:
            affects = ", ".join(c.affects) or "no close module"
            until = (f", maintenance until {local_time(c.maintenance_until, company)}"
                     if c.maintenance_until else "")
            msg = f": {c.message}" if c.message else ""
            source = _source_tag(reading) if c.id in live and reading is not None else ""
            link = next((i.shortlink for i in getattr(c, "incidents", []) if i.shortlink), None)
            msg += f" ({link})" if link else ""
            lines.append(f"• {c.name} — {c.status.replace('_', ' ')} (affects {affects}{until}){msg}{source}")
    elif unknown:
        pass  # nothing known to be down, and no reading to say that all is well
    elif total is None and not (reading is not None and reading.components):
        lines.append("I have no component status on record, so I can't say whether systems are up.")
    else:
        lines.append("All monitored components are operational.")
    if reading is not None and reading.available and reading.page_status:
        lines.append(f"The status page says: {reading.page_status}.")
    if jobs:
        lines.append(f"Batch jobs of {company.id} {company.current_period} not succeeded:")
        lines += [f"• {j.id} {j.name}: {j.status}{(' — ' + j.error) if j.error else ''}" for j in jobs]
    else:
        lines.append(f"No failed or pending batch jobs for {company.id} {company.current_period}.")
    return Reply(["\n".join(lines)])


def _source_tag(reading: StatusReading) -> str:
    if reading.stale:
        return f" [status page, stale: {age_text(reading.age_seconds())}]"
    return " [status page]"
