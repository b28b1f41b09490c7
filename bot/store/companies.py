"""Companies by what people call them: an id ("c200") or a name ("Contoso", "northwind trading")."""

from typing import List

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlp.company_mentions import CompanyEntry, form_owners
from bot.nlp.normalize import resolve_company
from bot.store.models import Company

#: How many companies a loose name ("trading") may list before it names none.
MAX_CALLED = 5


def company_entries(session: Session, limit: int = 5000) -> List[CompanyEntry]:
    """Who NLU may recognise by name (bot.nlp.company_mentions): every company's id and name."""
    rows = session.execute(select(Company.id, Company.name).order_by(Company.id).limit(limit)).all()
    return [CompanyEntry(company_id, name or "") for company_id, name in rows]


def companies_called(session: Session, text: str) -> List[Company]:
    """Every company ``text`` may name: its id; else the companies called so (a whole name, a
    name without its legal form, a distinctive first word: several when they share it); else
    those whose name contains the words (up to ``MAX_CALLED``)."""
    company = session.get(Company, resolve_company(text))
    if company is not None:
        return [company]
    words = " ".join(str(text or "").split())
    if len(words) < 3:
        return []
    ids = form_owners(company_entries(session)).get(words.lower())
    if ids:
        return [c for c in (session.get(Company, i) for i in ids) if c is not None]
    query = select(Company).where(Company.name.ilike(f"%{words}%")).order_by(Company.id).limit(MAX_CALLED + 1)
    named = session.scalars(query).all()
    return list(named) if len(named) <= MAX_CALLED else []
