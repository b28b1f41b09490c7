"""Find the store's companies by name in a message: "why can't Northwind close?", "Contoso
Manufacturing 的工资", "what about contoso".

The entity ruler knows only the shape of company ids ("C200"); names are data, so they are read
from the store and matched here. A company is found by its whole name, its name without a
legal suffix or a parenthesised place ("Northwind Trading (Shanghai) Co., Ltd." -> "Northwind
Trading"), or its first word when that word is distinctive (not a generic business word). A
form two companies share ("Contoso" for Contoso Manufacturing and Contoso Retail) is still a
company named: both ids come back, and the conversation asks which. Pure text matching: the
caller reads the companies.
"""

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence, Set, Tuple

from bot.nlp.phrase_index import PhraseIndex, longest_first

#: First words that name no company on their own ("Global Trading", "The Works", "China Steel").
_GENERIC_WORDS = frozenset({
    "the", "global", "international", "general", "national", "united", "first", "new", "china",
    "shanghai", "beijing", "asia", "euro", "american", "trading", "manufacturing", "group",
    "holdings", "industries", "services", "solutions", "systems", "company", "bank", "finance",
    "sales", "north", "south", "east", "west", "central", "pacific", "digital", "smart", "best",
})
#: Legal forms dropped from the end of a name.
_LEGAL_SUFFIX = re.compile(
    r"(?:[\s,]+(?:co\.?,?\s*ltd\.?|ltd\.?|limited|inc\.?|llc|gmbh|ag|s\.?a\.?|plc|corp\.?|corporation|"
    r"company|co\.?|b\.?v\.?))+$|(?:有限责任公司|股份有限公司|有限公司|公司)$",
    re.IGNORECASE,
)
_PARENTHESISED = re.compile(r"\s*[(（][^)）]*[)）]")
MIN_FORM_CHARS = 3


@dataclass(frozen=True)
class CompanyEntry:
    """A company as the store holds it: its id and display name."""

    company_id: str
    name: str = ""


def _short_forms(name: str) -> Set[str]:
    """The whole name and its shorter spoken forms, lower-cased."""
    whole = " ".join(name.split()).lower()
    forms = {whole}
    bare = _PARENTHESISED.sub("", whole).strip()
    forms.add(bare)
    forms.add(_LEGAL_SUFFIX.sub("", bare).strip(" ,"))
    forms.add(_LEGAL_SUFFIX.sub("", whole).strip(" ,"))
    return {f for f in forms if len(f) >= MIN_FORM_CHARS}


def form_owners(companies: Iterable[CompanyEntry]) -> Dict[str, Tuple[str, ...]]:
    """Each form a company may be called by -> the ids of the companies called so (more than
    one when two names share it: "Contoso" for Contoso Manufacturing and Contoso Retail)."""
    owners: Dict[str, Set[str]] = {}
    entries = [c for c in companies if c.name.strip()]
    for company in entries:
        for form in _short_forms(company.name):
            owners.setdefault(form, set()).add(company.company_id)
        first = re.split(r"[\s(（,]", company.name.strip().lower(), maxsplit=1)[0]
        if len(first) >= 4 and first.isascii() and first.isalpha() and first not in _GENERIC_WORDS:
            owners.setdefault(first, set()).add(company.company_id)
    return {form: tuple(sorted(ids)) for form, ids in owners.items()}


def name_forms(companies: Iterable[CompanyEntry]) -> Dict[str, str]:
    """Each form that names one company -> its id, longest forms first."""
    unique = {form: ids[0] for form, ids in form_owners(companies).items() if len(ids) == 1}
    return dict(sorted(unique.items(), key=lambda item: len(item[0]), reverse=True))


#: ASCII boundaries, so "Contoso的工资" (no space before Chinese) still matches.
_BEFORE = r"(?<![A-Za-z0-9_@.-])"
_AFTER = r"(?![A-Za-z0-9_@-]|\.\w)"


class CompanyNames:
    """The store's companies, indexed once, found in any number of messages."""

    def __init__(self, companies: Sequence[CompanyEntry]) -> None:
        owners = {form: ",".join(ids) for form, ids in form_owners(companies).items()}
        self._index = PhraseIndex(owners, _BEFORE, _AFTER)

    def __bool__(self) -> bool:
        return bool(self._index)

    def spans(self, text: str) -> List[Tuple[int, int, Tuple[str, ...]]]:
        """(start, end, ids of the companies called so) for each company ``text`` names, longest
        forms first, no overlaps; a name two companies share gives both ids."""
        return [(start, end, tuple(ids.split(",")))
                for start, end, _, ids in longest_first(self._index.occurrences(text))]


def company_spans(text: str, companies: Sequence[CompanyEntry]) -> List[Tuple[int, int, Tuple[str, ...]]]:
    """(start, end, company ids) of the companies ``text`` names (one message; index
    ``CompanyNames`` once for many)."""
    return CompanyNames(companies).spans(text)
