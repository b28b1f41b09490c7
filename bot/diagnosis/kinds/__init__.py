"""The blocker kinds: one module per kind holds everything about it (see ``base.BlockerKind``).

``KINDS`` lists them in the order their checks run, which is also how blockers of one
module are ordered in a diagnosis (a component's outage before the orders it affects). To add
a kind: write its module (the entry and its check) and list it here; the contract's
vocabulary (``bot.core.vocabulary.BLOCKER_KINDS``) names it too, and a test shows every
kind is complete.
"""

from typing import Dict

from bot.diagnosis.kinds.base import BlockerKind
from bot.diagnosis.kinds.components import SYSTEM_FAULT
from bot.diagnosis.kinds.jobs import JOB_FAILED
from bot.diagnosis.kinds.mismatches import DATA_MISMATCH
from bot.diagnosis.kinds.modules import MODULE_NOT_CLOSED
from bot.diagnosis.kinds.orders import ORDER_ERROR
from bot.diagnosis.kinds.payments import PAYMENT_ISSUE
from bot.diagnosis.kinds.permissions import PERMISSION_DENIED
from bot.diagnosis.kinds.vouchers import VOUCHER_UNPOSTED

KINDS: Dict[str, BlockerKind] = {kind.name: kind for kind in (
    SYSTEM_FAULT,
    ORDER_ERROR,
    PAYMENT_ISSUE,
    JOB_FAILED,
    VOUCHER_UNPOSTED,
    DATA_MISMATCH,
    PERMISSION_DENIED,
    MODULE_NOT_CLOSED,
)}


def kind_words(kind: str, plural: bool = False) -> str:
    """The blocker kind as people say it; an unknown kind reads as its id without underscores."""
    entry = KINDS.get(kind)
    return entry.words_for(plural) if entry is not None else kind.replace("_", " ")
