"""What a user is looking at in a conversation, kept on the server and keyed by who they are.

The diagnosis in view, the root cause being walked, the ticket, record and component last
talked about and a pending confirmation live here, under (conversation key, verified user id):
never in a slot or a tracker event, which a client can write. The diagnosis is the one the
server computed for this user; whoever reads it still checks access when showing it. Another
user in the same conversation (a Slack thread) has a view of their own.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.core import clock
from bot.diagnosis.result import Blocker, Diagnosis
from bot.store.db import begin_write
from bot.store.models import ConversationView

#: What was talked about last, so a follow-up ("who has it?") leans on the right thing.
TICKET, BLOCKER, COMPONENT = "ticket", "blocker", "component"


@dataclass
class View:
    conversation: str
    user_id: str
    diagnosis: Optional[Diagnosis] = None
    #: the root cause in view (an index into ``diagnosis.root_causes``)
    index: int = 0
    ticket: Optional[str] = None
    #: a record id of the blocker in view when one record was talked about (``SO-1042``)
    record: Optional[str] = None
    component: Optional[str] = None
    subject: Optional[str] = None
    #: a confirmation being asked for: {"change": "resolve", "ticket": "CLS-000002"}
    pending: Dict[str, str] = field(default_factory=dict)
    #: what the user last asked for ("diagnose", "fix"): a bare "and the bank one?" continues it
    asked: Optional[str] = None

    @property
    def blocker(self) -> Optional[Blocker]:
        """The root cause in view, if any."""
        roots = self.diagnosis.root_causes if self.diagnosis is not None else []
        if not roots:
            return None
        return roots[min(max(self.index, 0), len(roots) - 1)]

    def show(self, diagnosis: Diagnosis, index: int = 0) -> None:
        """A new diagnosis is in view, at its ``index``-th root cause."""
        self.diagnosis = diagnosis
        self.index = index
        self.record = None
        self.subject = BLOCKER
        self.asked = "diagnose"
        blocker = self.blocker
        if blocker is not None and blocker.kind == "system_fault" and blocker.refs:
            self.component = blocker.refs[0]

    def look_at(self, index: int, record: Optional[str] = None) -> None:
        """The ``index``-th root cause (and maybe one of its records) is in view now."""
        self.index = index
        self.record = record
        self.subject = BLOCKER
        blocker = self.blocker
        if blocker is not None and blocker.kind == "system_fault" and blocker.refs:
            self.component = blocker.refs[0]

    def focus_ticket(self, number: Optional[str]) -> None:
        if number:
            self.ticket = number
            self.subject = TICKET

    def focus_component(self, component_id: Optional[str]) -> None:
        if component_id:
            self.component = component_id
            self.subject = COMPONENT


def load(session: Session, conversation: str, user_id: str) -> View:
    """The user's view of the conversation (empty when they have not been here)."""
    row = session.get(ConversationView, (conversation or "", user_id))
    view = View(conversation or "", user_id)
    if row is None or not isinstance(row.state, dict):
        return view
    state: Dict[str, Any] = row.state
    if isinstance(state.get("diagnosis"), dict):
        try:
            view.diagnosis = Diagnosis.from_dict(state["diagnosis"])
        except (KeyError, TypeError, ValueError):
            view.diagnosis = None  # an older shape: as if nothing were in view
    view.index = int(state.get("index") or 0)
    for name in ("ticket", "record", "component", "subject", "asked"):
        value = state.get(name)
        setattr(view, name, value if isinstance(value, str) else None)
    view.pending = dict(state.get("pending") or {})
    return view


def save(session: Session, view: View) -> None:
    """Keep ``view`` for its user and conversation (in the caller's transaction)."""
    state = {
        "diagnosis": view.diagnosis.to_dict() if view.diagnosis is not None else None,
        "index": view.index,
        "ticket": view.ticket,
        "record": view.record,
        "component": view.component,
        "subject": view.subject,
        "pending": view.pending,
        "asked": view.asked,
    }
    begin_write(session)
    row = session.get(ConversationView, (view.conversation, view.user_id))
    if row is None:
        session.add(ConversationView(conversation_key=view.conversation, user_id=view.user_id,
                                     state=state, updated_at=clock.now()))
    else:
        row.state = state
        row.updated_at = clock.now()
