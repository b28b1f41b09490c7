"""What changed between two diagnoses of the same close: fixed, still open, new.

Compared record by record (a blocker of two orders where one got fixed is half fixed),
over the root causes; a missing permission is keyed by its module, since its refs are the
people who may close, not what blocks.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from bot.diagnosis.kinds import KINDS
from bot.diagnosis.kinds.components import SYSTEM_FAULT
from bot.diagnosis.kinds.modules import MODULE_NOT_CLOSED
from bot.diagnosis.result import Blocker, Diagnosis

Key = Tuple[str, str]
"""(kind, record id)"""


@dataclass
class Changes:
    fixed: List[Key] = field(default_factory=list)
    still: List[Key] = field(default_factory=list)
    new: List[Key] = field(default_factory=list)
    #: modules that were holding the target up and are closed now
    closed: List[str] = field(default_factory=list)
    #: status-page components gone from a reading that could not be taken: not "fixed"
    unknown: List[Key] = field(default_factory=list)


def keys(blocker: Blocker) -> List[Key]:
    kind = KINDS.get(blocker.kind)
    if kind is not None and kind.keyed_by_module:
        return [(blocker.kind, blocker.module)]
    return [(blocker.kind, ref) for ref in blocker.refs] or [(blocker.kind, blocker.module)]


def _root_keys(d: Diagnosis) -> Dict[Key, None]:
    return {k: None for b in d.root_causes for k in keys(b)}


def _open_modules(d: Diagnosis) -> List[str]:
    return [b.module for b in d.blockers if b.kind == MODULE_NOT_CLOSED.name and b.refs == [b.module]]


def _unverifiable(before: Diagnosis, after: Diagnosis) -> List[Key]:
    """Status-page faults of ``before`` that ``after`` could not check (the page was unreadable)."""
    if not after.status_unknown or before.system_status is None:
        return []
    page = set(before.system_status.component_ids())
    known = set(after.system_status.component_ids()) if after.system_status else set()
    return [(SYSTEM_FAULT.name, ref) for b in before.root_causes if b.kind == SYSTEM_FAULT.name
            for ref in b.refs if ref in page and ref not in known]


def compare(before: Diagnosis, after: Diagnosis) -> Changes:
    old, now = _root_keys(before), _root_keys(after)
    unknown = [k for k in _unverifiable(before, after) if k not in now]
    return Changes(
        fixed=[k for k in old if k not in now and k not in unknown],
        still=[k for k in now if k in old],
        new=[k for k in now if k not in old],
        closed=[m for m in _open_modules(before) if m not in _open_modules(after)],
        unknown=unknown,
    )
