"""The blocker kinds registry: every kind complete, every kind wired, a new kind in one place."""

from typing import List

import pytest

from bot.conversation import employee
from bot.conversation.knowledge import TOPICS, prevent_recurrence
from bot.conversation.render import STEP_BUTTONS, render_blocker
from bot.core.vocabulary import BLOCKER_KINDS, ROLES
from bot.diagnosis.engine import diagnose
from bot.diagnosis.kinds import KINDS, kind_words
from bot.diagnosis.kinds.base import BlockerKind, CheckContext, Finding, GuideView, Rendered
from bot.diagnosis.kinds.modules import MODULE_NOT_CLOSED
from bot.fixes.guide import guide
from bot.fixes.recheck import compare, keys
from bot.people.directory import with_role


def test_the_registry_is_the_contract_vocabulary() -> None:
    assert set(KINDS) == set(BLOCKER_KINDS)
    assert all(name == kind.name for name, kind in KINDS.items())


@pytest.mark.parametrize("name", sorted(BLOCKER_KINDS))
def test_every_kind_is_complete(name: str) -> None:
    kind = KINDS[name]
    one, several = kind.words
    assert one and several and one != several
    assert kind.owner_role in ROLES
    assert kind.prevention.endswith(".") and len(kind.prevention) > 30
    assert kind.topic in TOPICS
    assert callable(kind.owners) and callable(kind.render)
    assert kind.records is None or callable(kind.records)
    assert kind.hand_over in STEP_BUTTONS
    # Only the kind the engine derives from the close path has no check of its own.
    assert (kind.check is None) == (kind is MODULE_NOT_CLOSED)


def test_every_kind_is_found_and_guided_on_the_demo(demo_session) -> None:
    d = diagnose(demo_session, "C100", user_id="u-mei", status=None)
    assert {b.kind for b in d.blockers} == set(KINDS)
    for blocker in d.blockers:
        text = guide(demo_session, d, blocker, "u-mei").text
        # The kind's own renderer ran (not the fallback that repeats the summary).
        assert blocker.summary not in text.splitlines()[0] or blocker.kind == MODULE_NOT_CLOSED.name
        assert any(ref in text for ref in blocker.refs) or not blocker.refs, (blocker.kind, text)


# ---- a new kind is one entry plus its check ---------------------------------------------------------


def _check_assets(ctx: CheckContext) -> List[Finding]:
    if "general_ledger" not in ctx.path:
        return []
    return [Finding(kind="asset_unposted", module="general_ledger", refs=["FA-7"],
                    summary="Depreciation run FA-7 is not posted", fix="Post the depreciation run FA-7.",
                    severity="low", blocks=["general_ledger"])]


def _render_assets(view: GuideView) -> Rendered:
    return [f"Depreciation run {view.blocker.refs[0]} waits to be posted."], 1, 1


ASSET_UNPOSTED = BlockerKind(
    name="asset_unposted",
    words=("unposted depreciation run", "unposted depreciation runs"),
    owner_role="accountant",
    prevention="Post the depreciation run on the first working day of the close week.",
    topic="prevent/close_procedure",
    check=_check_assets,
    records=None,
    owners=lambda session, company_id, blocker, rows: with_role(session, company_id, "accountant"),
    render=_render_assets,
    hand_over="incident",
)


def test_a_new_kind_needs_one_entry_and_its_check(demo_session, monkeypatch) -> None:
    monkeypatch.setitem(KINDS, ASSET_UNPOSTED.name, ASSET_UNPOSTED)
    d = diagnose(demo_session, "C100", status=None)
    [blocker] = [b for b in d.blockers if b.kind == "asset_unposted"]
    assert blocker.owner_role == "accountant" and blocker.is_root_cause
    assert blocker.severity != "low"  # raised for the deadline like every other kind's

    guided = guide(demo_session, d, blocker, "u-alex")
    assert guided.text.startswith("Depreciation run FA-7 waits to be posted.")
    assert guided.text.endswith("Who: Alex Wang (u-alex), Lin Zhou (u-lin) (accountant)")
    assert guided.steps[-1] == "incident"
    assert f"Next time: {ASSET_UNPOSTED.prevention}" in render_blocker(d, blocker, guided)

    assert kind_words("asset_unposted", plural=True) == "unposted depreciation runs"
    index = d.root_causes.index(blocker)
    advice = prevent_recurrence(d.to_dict(), index)
    assert ASSET_UNPOSTED.prevention in advice.texts[0]
    assert advice.buttons[0].payload == TOPICS["prevent/close_procedure"].question
    assert ("asset_unposted", "FA-7") in keys(blocker)

    monkeypatch.delitem(KINDS, ASSET_UNPOSTED.name)
    assert ("asset_unposted", "FA-7") in compare(d, diagnose(demo_session, "C100", status=None)).fixed


def test_a_diagnosis_naming_an_unknown_kind_still_guides(demo_session) -> None:
    """A diagnosis kept in view may name a kind this version no longer has: say what it says."""
    from bot.conversation import view

    employee.diagnose_close(demo_session, "u-alex")
    kept = view.load(demo_session, "", "u-alex")
    kept.diagnosis.blockers[0].kind = "retired_kind"
    kept.index = -1
    view.save(demo_session, kept)
    reply = employee.next_blocker(demo_session, "u-alex")
    assert kept.diagnosis.blockers[0].summary in reply.texts[0]
