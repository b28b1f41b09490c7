"""A module the message ties to closing is the target; one mentioned as context is not."""

import pytest

from bot.nlp.target import module_is_target


@pytest.mark.parametrize(("message", "module", "target"), [
    ("why can't I close AR?", "AR", True),
    ("the AR close keeps failing", "AR", True),
    ("AR won't close", "AR", True),
    ("receivables closing fails for C100", "receivables", True),
    ("what's blocking payables?", "payables", True),
    ("what about payables?", "payables", True),
    ("AR please", "AR", True),
    ("the cash module", "cash", True),
    ("应收结不了账", "应收", True),
    ("为什么总账关不了", "总账", True),
    ("那应收呢？", "应收", True),
    ("AR is still running, can we close?", "AR", False),
    ("inventory is done, why can't I close november", "inventory", False),
    ("sales is still open, can I close the month?", "sales", False),
    ("can't close the period, payroll has been locked since friday", "payroll", False),
    ("应收还没结完，能结总账吗", "应收", False),
])
def test_module_is_the_target_only_when_the_question_is_about_it(message, module, target) -> None:
    assert module_is_target(message, module) is target


def test_no_module_is_no_target_and_an_unspelled_one_is_trusted() -> None:
    assert module_is_target("why can't I close?", None) is False
    assert module_is_target("why can't I close the ledger?", "general_ledger") is True
