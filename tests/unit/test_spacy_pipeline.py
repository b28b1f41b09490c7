"""The spaCy pipeline Rasa loads: tokenisation of ERP ids and CJK text, entities found."""

from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from bot.nlp.spacy_pipeline import HASH_FILE, build_pipeline, is_up_to_date  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_pipeline(tmp_path_factory.mktemp("spacy") / "closebot_en")


@pytest.fixture(scope="module")
def nlp(built):
    return spacy.load(built)


def ents(nlp, text):
    return [(e.text, e.label_) for e in nlp(text).ents]


def test_build_is_skipped_when_unchanged(built) -> None:
    assert is_up_to_date(built)
    marker = built / HASH_FILE
    stamp = (built / "meta.json").stat().st_mtime_ns
    build_pipeline(built)
    assert (built / "meta.json").stat().st_mtime_ns == stamp
    marker.write_text("stale\n", encoding="utf-8")
    assert not is_up_to_date(built)
    build_pipeline(built)
    assert is_up_to_date(built)


def test_rasa_can_read_the_meta(built) -> None:
    info = spacy.info(str(built))
    assert spacy.util.is_compatible_version(spacy.about.__version__, info["spacy_version"])


def test_ids_stay_one_token(nlp) -> None:
    tokens = [t.text for t in nlp("CLS-000123 SO-1042 PAY-88 JOB-AR-AGING V-2026-11-0087 2026-11")]
    assert tokens == [
        "CLS-000123", "SO-1042", "PAY-88", "JOB-AR-AGING", "V-2026-11-0087", "2026-11",
    ]


def test_cjk_characters_are_split(nlp) -> None:
    assert [t.text for t in nlp("十一月不能结账")] == list("十一月不能结账")


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "I can't close November for C200, GL says 业务系统未结账",
            [("November", "period"), ("C200", "company"), ("GL", "module")],
        ),
        ("status of CLS-000123 pls", [("CLS-000123", "ticket_number")]),
        ("any news on cls-12?", [("cls-12", "ticket_number")]),
        ("status of CLS 7 pls", [("CLS 7", "ticket_number")]),
        ("where is ticket #cls 000140", [("#cls 000140", "ticket_number")]),
        (
            "why is inventory not closing for c-300",
            [("inventory", "module"), ("c-300", "company")],
        ),
        (
            "AR stuck last month, PAY-88 still pending",
            [("AR", "module"), ("last month", "period"), ("PAY-88", "record_id")],
        ),
        ("十一月总账不能结账", [("十一月", "period"), ("总账", "module")]),
        ("2026年11月的应收不能结账", [("2026年11月", "period"), ("应收", "module")]),
        ("11月库存月结失败", [("11月", "period"), ("库存", "module")]),
        ("books won't close for Oct 2026", [("Oct 2026", "period")]),
        ("the accounts payable close for 2026-10", [("accounts payable", "module"),
                                                   ("2026-10", "period")]),
        ("Posting period 011 2026 is not open", [("Posting period 011 2026", "period")]),
        ("fixed assets and payroll for C100 this month",
         [("fixed assets", "module"), ("payroll", "module"), ("C100", "company"),
          ("this month", "period")]),
        ("SO-1042 has no price", [("SO-1042", "record_id")]),
        ("whats blocking stock close for FY26 P11", [("stock", "module"), ("FY26 P11", "period")]),
        ("P11 FY2026 and FY26-P11", [("P11 FY2026", "period"), ("FY26-P11", "period")]),
        ("no, the other company", [("other company", "company")]),
        ("May I open a ticket?", []),
        ("assign CLS-000002 to li.wei", [("CLS-000002", "ticket_number"), ("li.wei", "person")]),
        ("give cls-2 to u-hana pls", [("cls-2", "ticket_number"), ("u-hana", "person")]),
        ("CLS-2 -> @hana", [("CLS-2", "ticket_number"), ("@hana", "person")]),
        ("e.g. the invoice", []),
        ("AP/AR both stuck, A/R worse", [("AP", "module"), ("AR", "module"), ("A/R", "module")]),

        ("hey closebot month end stuck again :(", []),
    ],
)
def test_entities(nlp, text, expected) -> None:
    assert ents(nlp, text) == expected


@pytest.mark.parametrize("text, modules", [
    ("那两张销售订单的销售模块", ["销售"]),  # the shortest name; an order is no module
    ("whats the sales tax on that? cash basis or cash flow", []),
    ("sales orders unpriced, sales close blocked", ["sales"]),
    ("现金流量表怎么编，现金模块", ["现金"]),
    ("nudge the AR clerk, the sales team says the AR close is stuck", ["AR"]),  # people, not modules
    ("sales will not close, 销售部说价格明天改", ["sales"]),
])
def test_a_module_word_naming_something_else_is_no_module(nlp, text, modules) -> None:
    assert [t for t, label in ents(nlp, text) if label == "module"] == modules


def test_text_with_cjk_is_never_one_url_token(nlp) -> None:
    # "派给li.wei" reads as a domain ("...li" + top-level "wei") to spaCy's URL rule
    assert ents(nlp, "把cls-9派给li.wei处理") == [("cls-9", "ticket_number"), ("li.wei", "person")]
    assert [t.text for t in nlp("see https://erp.example.com/close?x=1 now")][1] == (
        "https://erp.example.com/close?x=1")


def test_record_ids_are_not_companies(nlp) -> None:
    labels = {e.label_ for e in nlp("SO-1042 PO-2001 PAY-88 so1042").ents}
    assert "company" not in labels
