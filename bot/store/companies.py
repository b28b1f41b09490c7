"""Companies by what people call them: an id ("c200") or a name ("Contoso", "northwind trading")."""

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlp.company_mentions import CompanyEntry, name_forms
from bot.nlp.normalize import resolve_company
from bot.store.models import Company


def company_entries(session: Session, limit: int = 5000) -> List[CompanyEntry]:
    """Who NLU may recognise by name (bot.nlp.company_mentions): every company's id and name."""
    rows = session.execute(select(Company.id, Company.name).order_by(Company.id).limit(limit)).all()
    return [CompanyEntry(company_id, name or "") for company_id, name in rows]


def find_company(session: Session, text: str) -> Optional[Company]:
    """The company ``text`` names: its id; else the one company called so (a whole name, a name
    without its legal form, a distinctive first word); else the one whose name contains the
    words. None when nothing, or more than one company, matches."""
    company = session.get(Company, resolve_company(text))
    if company is not None:
        return company
    words = " ".join(str(text or "").split())
    if len(words) < 3:
        return None
    called = name_forms(company_entries(session)).get(words.lower())
    if called:
        return session.get(Company, called)
    named = session.scalars(select(Company).where(Company.name.ilike(f"%{words}%")).limit(2)).all()
    return named[0] if len(named) == 1 else None
