"""Which blocker of a diagnosis a message means: "SO-1042", "the two sales orders", "the bank
one", "the price problem", "receivables", or nothing at all ("how do I fix this one?").

The message is matched against the diagnosis itself, not a fixed pattern: record ids as the
diagnosis holds them (in any spacing or case, or by their number alone when only one fits),
the words of each root cause's kind and summary (counterparties, job names, payment methods),
a count ("the two orders"), and a module. When the words fit several root causes equally, the
answer is the list to ask about, never a guess.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from bot.diagnosis.result import Blocker, Diagnosis
from bot.nlp.normalize import resolve_module

#: Words people use for each kind of blocker, English and Chinese.
KIND_CUES: Dict[str, Tuple[str, ...]] = {
    "order_error": ("order", "orders", "price", "prices", "priced", "pricing", "invoice", "invoices",
                    "so", "quantity", "qty", "订单", "价格", "单价", "没价", "发票", "数量", "销售单"),
    "payment_issue": ("payment", "payments", "transfer", "receipt", "receipts", "wechat", "alipay",
                      "remittance", "pay", "付款", "收款", "款项", "到账", "支付",
                      "微信", "支付宝", "转账", "回款"),
    "job_failed": ("job", "jobs", "batch", "run", "roll-up", "rollup", "ageing", "aging", "revaluation",
                   "ora", "cron", "作业", "任务", "批处理", "跑批", "账龄"),
    "voucher_unposted": ("voucher", "vouchers", "journal", "draft", "entry", "je", "凭证", "分录", "草稿"),
    "data_mismatch": ("reconciliation", "recon", "difference", "mismatch", "account", "off", "balance",
                      "variance", "对账", "差异", "差额", "不平", "科目", "对不上"),
    "permission_denied": ("permission", "permissions", "access", "right", "rights", "authorisation",
                          "authorization", "allowed", "权限", "授权"),
    "system_fault": ("outage", "gateway", "interface", "down", "system", "connection", "connector",
                     "接口", "网关", "故障", "系统", "宕机"),
}
#: Count words: "the two sales orders" is the blocker with two records.
COUNTS = {"one": 1, "two": 2, "both": 2, "three": 3, "four": 4, "five": 5, "两": 2, "二": 2, "三": 3,
          "俩": 2, "两个": 2, "三个": 3}
#: Words too common to say anything about which blocker is meant.
STOP = {"the", "a", "an", "this", "that", "one", "ones", "how", "do", "i", "we", "fix", "to", "it", "of",
        "and", "is", "for", "in", "on", "what", "with", "can", "get", "my", "me", "you", "about", "there",
        "which", "should", "clear", "solve", "resolve", "sort", "out", "deal", "handle", "please",
        "pls", "need", "help", "closed", "close", "closing", "now", "still", "again", "up"}
#: A token shaped like a record id: letters then digits, maybe with dashes ("SO-1042",
#: "V-2026-11-0087", "PO2207"); bare numbers are amounts as often as ids and do not count.
RECORD_SHAPE = re.compile(r"(?<![\w-])([A-Za-z]{1,6}[-_]?\d[\w-]*)(?![\w-])")
#: Generic nouns of a kind: they say which kind, not which of its blockers.
GENERIC = {"payment", "payments", "order", "orders", "job", "jobs", "voucher", "vouchers", "account",
           "system", "sales", "incoming", "outgoing"}
#: Words people use for a state the summaries spell another way.
STATE_WORDS = {"unmatched": "matched", "unsettled": "settled", "unposted": "posted"}


@dataclass
class Meant:
    """What a message names among a diagnosis's root causes.

    ``blockers`` holds one root cause (the answer), several (a module's, or the ones to ask
    about: see ``ambiguous``), or none. ``record`` is the one record named inside the blocker.
    ``missing`` is a record id the message names that the diagnosis does not hold.
    """

    blockers: List[Blocker] = field(default_factory=list)
    record: Optional[str] = None
    module: Optional[str] = None
    ambiguous: bool = False
    missing: Optional[str] = None
    named: bool = False


def meant(diagnosis: Diagnosis, message: Optional[str], modules: Sequence[str] = ()) -> Meant:
    """The root causes ``message`` names (see the module docstring)."""
    text = message or ""
    roots = diagnosis.root_causes
    by_record = _by_record(roots, text)
    if by_record is not None:
        return by_record
    missing = _unknown_record(diagnosis, text)
    if missing is not None:
        return Meant(missing=missing, named=True)
    module = _module(text, modules)
    pool = roots if module is None else [b for b in roots if module in _chain_modules(diagnosis, b)]
    scored = _by_words(pool, _without_module(text, module))
    if scored is not None:
        scored.module = module
        return scored
    if module is not None:
        return Meant(pool, module=module, named=True)
    return Meant()


def _unknown_record(diagnosis: Diagnosis, text: str) -> Optional[str]:
    """A record id the message names that no root cause holds (nor its summary mentions, as an
    error code): not the company id, a period or an amount."""
    summaries = " ".join(b.summary for b in diagnosis.blockers).lower()
    for match in RECORD_SHAPE.finditer(text):
        token = match.group(1)
        if not re.search(r"\d", token) or _is_period_or_amount(token):
            continue
        if token.lower() == diagnosis.company.lower() or token.lower() in summaries:
            continue
        return token
    return None


def _without_module(text: str, module: Optional[str]) -> str:
    """The message without the words that named the module (they say where, not which)."""
    if module is None:
        return text
    return " ".join(w for w in re.split(r"\s+", text) if resolve_module(w.strip("?,.!")) != module)


def _by_record(roots: Sequence[Blocker], text: str) -> Optional[Meant]:
    """A record id of a root cause, written any way; or its number alone when only one fits."""
    hits: List[Tuple[Blocker, str]] = []
    for blocker in roots:
        if blocker.kind in NOT_RECORDS:
            continue
        hits += [(blocker, ref) for ref in blocker.refs if _record_pattern(ref).search(text)]
    if not hits:
        numbers = set(re.findall(r"(?<![\w-])(\d{3,})(?![\w-])", text))
        hits = [(b, ref) for b in roots if b.kind not in NOT_RECORDS for ref in b.refs
                if re.findall(r"\d+", ref) and re.findall(r"\d+", ref)[-1] in numbers]
        if len({ref for _, ref in hits}) != 1:
            return None
    refs = list(dict.fromkeys(ref for _, ref in hits))
    return Meant(_unique([b for b, _ in hits]), record=refs[0] if len(refs) == 1 else None, named=True)


#: Kinds whose refs are people or modules, not records.
NOT_RECORDS = ("permission_denied", "module_not_closed")


def _record_pattern(ref: str) -> "re.Pattern[str]":
    """``SO-1042`` as written any way (``so 1042``, ``so1042``); an account ``1405 Inventory`` by
    its number; a component ``bank-gateway`` by its id."""
    groups = re.findall(r"[A-Za-z]+|\d+", ref)
    if " " in ref and groups and groups[0].isdigit():
        groups = groups[:1]
    body = r"[-_\s]*".join(re.escape(g) for g in groups)
    return re.compile(r"(?<![A-Za-z0-9])" + body + r"(?![A-Za-z0-9])", re.IGNORECASE)


def _by_words(roots: Sequence[Blocker], text: str) -> Optional[Meant]:
    """The root causes whose kind and summary share the most words with the message."""
    words = _words(text)
    if not words:
        return None
    scores: List[Tuple[int, Blocker]] = []
    count = next((n for w, n in COUNTS.items() if w in words or (not w.isascii() and w in text)), None)
    for blocker in roots:
        score = 0
        cues = KIND_CUES.get(blocker.kind, ())
        score += 2 * sum(1 for w in words if w in cues)
        score += sum(2 for cue in cues if not cue.isascii() and cue in text)
        summary = _words(blocker.summary) - STOP - GENERIC
        score += sum(1 for w in words - STOP - GENERIC if STATE_WORDS.get(w, w) in summary and len(w) > 2)
        if count is not None and count > 1 and len(blocker.refs) == count:
            score += 1
        if score:
            scores.append((score, blocker))
    if not scores:
        return None
    best = max(s for s, _ in scores)
    top = [b for s, b in scores if s == best]
    return Meant(top, ambiguous=len(top) > 1, named=True)


def _words(text: str) -> set:
    return set(re.findall(r"[a-z][a-z'-]*|[\u4e00-\u9fff]+", (text or "").lower()))


def _module(text: str, modules: Sequence[str]) -> Optional[str]:
    for mention in modules:
        module = resolve_module(mention)
        if module:
            return module
    return resolve_module(text) if text else None


def _chain_modules(diagnosis: Diagnosis, blocker: Blocker) -> List[str]:
    """The modules a root cause holds up (its own first), following ``caused_by``."""
    index = diagnosis.blockers.index(blocker)
    modules = [blocker.module]
    frontier = {index}
    seen = set(frontier)
    while frontier:
        parents = {i for i, b in enumerate(diagnosis.blockers) if frontier & set(b.caused_by)} - seen
        modules += [diagnosis.blockers[i].module for i in sorted(parents)]
        seen |= parents
        frontier = parents
    return modules


def _is_period_or_amount(token: str) -> bool:
    return bool(re.fullmatch(r"\d{4}(-\d{1,2})?|\d+([.,]\d+)?", token))


def _unique(blockers: List[Blocker]) -> List[Blocker]:
    out: List[Blocker] = []
    for b in blockers:
        if not any(b is o for o in out):
            out.append(b)
    return out
