"""Follow-ups that lean on what was just discussed: "who has it?", "when is it back?", "which
account and how much?", "who can grant me the permission?".

The thing in focus comes from the user's server-side view (``bot.conversation.view``): the
ticket, component, record and diagnosis last talked about. A few cue words say which of them
the question is about; without one, it is about what was talked about last. Access is checked
again when anything is shown. When nothing in view fits, the answer says what it can answer.
"""

import re
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation import employee, fixing
from bot.conversation import view as views
from bot.conversation.render import local_time, render_blocker
from bot.conversation.reply import MY_TICKETS, STATUS, Button, Reply, known_user
from bot.conversation.targets import Said, target
from bot.conversation.view import BLOCKER, TICKET, View
from bot.core.vocabulary import DONE_TICKET_STATUSES, module_words
from bot.diagnosis.kinds.components import COMPONENT_STATES
from bot.diagnosis.result import Blocker, Diagnosis
from bot.fixes.guide import guide
from bot.integrations.statuspage import current_status
from bot.people.directory import display, may_close, people_text, with_role
from bot.store import audit
from bot.store.models import Company, Component, Escalation, Ticket, User
from bot.tickets.service import latest_resolution

#: Which thing a follow-up is about, by the words in it (checked in this order).
CUES: List[Tuple[str, str]] = [
    ("permission", r"grant|permission|access|rights?\b|allowed|authori[sz]|权限|授权|开通"),
    ("mismatch", r"which account|what account|how much|amount|difference|差多少|哪个科目|科目|差额|多少钱"),
    ("component", r"\bback\b|\bup again|restored|recover|\beta\b|affect|impact|outage|恢复|影响|好了没|修好"),
    ("ticket", r"\bwho has\b|anyone|anybody|someone|working on|work on|picked up|assigned|what did they|"
               r"they say|\bsaid\b|repl(y|ied)|\bticket\b|工单|谁在|有人|回复|进展|处理了吗"),
    ("owner", r"who owns|whose|owner|who is responsible|who's responsible|谁负责|负责人"),
]

#: A ticket follow-up that asks what was said rather than who has it.
SAID_CUES = r"what did|they say|\bsaid\b|repl(y|ied)|answer|回复|说了什么|怎么说"

HINT = ("I'm not sure what that refers to. I can answer about the ticket, outage or blocker we just "
        "talked about: ask e.g. \"why can't I close November?\", \"status of CLS-000002\" or "
        "\"any outages?\" first.")


@known_user
def follow_up(session: Session, user: User, *, conversation: str = "", message: Optional[str] = None) -> Reply:
    """Answer a short question about the thing in focus."""
    view = views.load(session, conversation, user.id)
    about = _about(message or "", view)
    if about == "permission":
        return _permission(session, user, view)
    if about == "mismatch":
        return _mismatch(session, user, view)
    if about == "component":
        return _component(session, user, view)
    if about == "ticket":
        return _ticket(session, user, view, message or "")
    if about in ("owner", BLOCKER) and view.diagnosis is not None:
        return fixing.fix_blocker(session, user.id, conversation=conversation, record=view.record,
                                  message="")
    return Reply([HINT], [Button("Why can't I close?", "/report_blocked_close"), MY_TICKETS, STATUS])


def _about(message: str, view: View) -> Optional[str]:
    low = message.lower()
    for name, pattern in CUES:
        if re.search(pattern, low):
            if name == "component" and view.component is None and not _outage_in_view(view):
                continue
            if name == "ticket" and view.ticket is None:
                continue
            return name
    if re.search(r"\bwhen\b|什么时候|多久", low) and view.subject == TICKET:
        return "ticket"
    if re.search(r"\bwhen\b|什么时候|多久", low) and (view.component or _outage_in_view(view)):
        return "component"
    return view.subject


def _outage_in_view(view: View) -> bool:
    return view.diagnosis is not None and any(b.kind == "system_fault" for b in view.diagnosis.root_causes)


def _ticket(session: Session, user: User, view: View, message: str) -> Reply:
    found = target(session, user, Said(focus=view.ticket), "status")
    if isinstance(found, Reply):
        return found
    audit.record(session, user.id, "ticket_read", found.company_id, {"number": found.number, "for": "follow-up"})
    view.focus_ticket(found.number)
    views.save(session, view)
    return Reply([f"{_ticket_answer(session, found, message)}\n{employee.ticket_text(session, found)}"],
                 [MY_TICKETS])


def _ticket_answer(session: Session, ticket: Ticket, message: str) -> str:
    """The one line the question asks for, before the ticket's details: what they said (the
    latest resolution, advisor answer or note) or who has it and how far it is."""
    status = ticket.status.replace("_", " ")
    if re.search(SAID_CUES, message.lower()):
        said = _latest_word(session, ticket)
        return (f"Latest on {ticket.number}: {said}" if said
                else f"No one has written on {ticket.number} yet ({status}).")
    if ticket.assignee_id:
        who = display(session.get(User, ticket.assignee_id), ticket.assignee_id)
        return f"{who} has {ticket.number}; it is {status}."
    if ticket.status in DONE_TICKET_STATUSES:  # closed straight from the queue, never assigned
        return f"{ticket.number} is {status}; nobody holds it any more."
    return f"Nobody has picked up {ticket.number} yet ({status}); the helpdesk queue has it."


def _latest_word(session: Session, ticket: Ticket) -> Optional[str]:
    """Who last wrote on the ticket and what: a resolution, an advisor's answer, or a note."""
    if ticket.status in DONE_TICKET_STATUSES:
        resolution = latest_resolution(session, ticket)
        if resolution is not None:
            return f"{_who(session, resolution.resolved_by)} resolved it: {resolution.note}"
    answer = session.scalar(select(Escalation).where(Escalation.ticket_id == ticket.id,
                                                      Escalation.answer.is_not(None))
                            .order_by(Escalation.id.desc()).limit(1))
    if answer is not None:
        return f"{_who(session, answer.answered_by)} (finance advisor) answered: {answer.answer}"
    if ticket.comments:
        latest = ticket.comments[-1]
        return f"{_who(session, latest.author_id)} wrote: {latest.body}"
    return None


def _who(session: Session, user_id: Optional[str]) -> str:
    return display(session.get(User, user_id), user_id) if user_id else "the system"


def _component(session: Session, user: User, view: View) -> Reply:
    """The outage in focus: its state, when it is expected back, what it affects and holds up."""
    result = view.diagnosis
    if result is not None and employee.refuse_unseen(session, user, result) is None:
        outage = _outage(result, view.component)
        if outage is not None:
            guided = guide(session, result, outage, user.id)
            view.focus_component(outage.refs[0] if outage.refs else None)
            views.save(session, view)
            return Reply([render_blocker(result, outage, guided)], [STATUS])
    component = _component_row(session, view.component)
    if component is None:
        return Reply(["Which system do you mean? Ask \"any outages?\" to see what is down."], [STATUS])
    company = session.get(Company, user.company_id)
    state = COMPONENT_STATES.get(component.status, component.status.replace("_", " "))
    until = (f"Maintenance is planned until {local_time(component.maintenance_until, company)}."
             if component.maintenance_until else "No end time has been announced.")
    affects = ", ".join(module_words(m) for m in component.affects or []) or "no close module"
    message = f": {component.message}" if component.message else ""
    audit.record(session, user.id, "system_status", user.company_id, {"component": component.id})
    return Reply([f"{component.name} ({component.id}) {state}{message}. {until} It affects {affects}."], [STATUS])


def _outage(result: Diagnosis, component_id: Optional[str]) -> Optional[Blocker]:
    outages = [b for b in result.root_causes if b.kind == "system_fault"]
    chosen = [b for b in outages if component_id in b.refs] if component_id else []
    return (chosen or outages or [None])[0]


def _component_row(session: Session, component_id: Optional[str]):  # noqa: ANN202 - a row or a reading
    if not component_id:
        return None
    reading = current_status()
    live = next((c for c in (reading.components if reading is not None else []) if c.id == component_id), None)
    return live or session.get(Component, component_id)


def _mismatch(session: Session, user: User, view: View) -> Reply:
    """The reconciliation difference in view (or the only one): account, both totals, difference."""
    result = view.diagnosis
    if result is None:
        return Reply(["Which reconciliation? Ask me why the close is blocked first, and I'll show the "
                      "accounts that are off."])
    refused = employee.refuse_unseen(session, user, result)
    if refused is not None:
        return refused
    mismatches = [b for b in result.root_causes if b.kind == "data_mismatch"]
    current = view.blocker
    chosen = current if current is not None and current.kind == "data_mismatch" else None
    if chosen is None and len(mismatches) == 1:
        chosen = mismatches[0]
    if chosen is None:
        if not mismatches:
            return Reply([f"No reconciliation is off for {result.company} {result.period}: every account "
                          "matches within tolerance."])
        return fixing.fix_blocker(session, user.id, conversation=view.conversation, message="difference")
    return fixing.fix_blocker(session, user.id, conversation=view.conversation, record=chosen.refs[0])


def _permission(session: Session, user: User, view: View) -> Reply:
    """Who may close the module in question at the company, and who grants the permission."""
    result = view.diagnosis
    company_id = result.company if result is not None else user.company_id
    if result is not None:
        refused = employee.refuse_unseen(session, user, result)
        if refused is not None:
            return refused
    denied = next((b for b in (result.root_causes if result else []) if b.kind == "permission_denied"), None)
    module = denied.module if denied is not None else (result.module if result else "general_ledger")
    holders = may_close(session, company_id, module)
    admins = with_role(session, company_id, "admin")
    audit.record(session, user.id, "permission_holders", company_id, {"module": module})
    target_words = module_words(module)
    lines = []
    if denied is None and module in (user.close_permissions or []) and user.company_id == company_id:
        lines.append(f"You already hold the {target_words} close permission at {company_id}.")
    if holders:
        lines.append(f"Who may close the {target_words} at {company_id}: {people_text(holders, limit=5)}. "
                     "Ask one of them to run the close.")
    else:
        lines.append(f"Nobody at {company_id} holds the {target_words} close permission.")
    if admins:
        lines.append(f"Who can grant the permission: {people_text(admins, limit=3)} (admin), with your "
                     "finance manager's approval.")
    else:
        lines.append("No admin is on record; the helpdesk can find who grants close permissions.")
    return Reply(["\n".join(lines)], [Button("Open a ticket", "/open_ticket")])

