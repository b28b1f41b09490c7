"""Is the module a message names the thing to close, or only context?

"Why won't receivables close?" asks about receivables; "AR is still running, can we close?"
asks about the general ledger and mentions AR as context. The target is a module only when the
message ties the module to closing (next to a close word, or blocking it), when the message is
little more than the module ("AR please", "what about payables?"), or when a Chinese close
word follows it (应收结不了账).
"""

import re
from typing import Optional

#: Words that mean closing (or what blocks it) in English, checked a few words around the module.
CLOSE_WORDS = (r"clos(?:e|es|ed|ing)|month[- ]?end|period[- ]?end|lock(?:ed|ing)?|finish(?:ed|ing)?|"
               r"block(?:s|ed|ing)?|stuck|fail(?:s|ed|ing)?|blocker")
#: Chinese close words; a module right before one is the target (应收结账, 总账关不了).
CHINESE_CLOSE = ("结账", "结帐", "关账", "结不了", "关不了", "月结", "结转", "关闭", "结算不了")
#: Words that make a module context: it is in a state, or something else happens to it.
CONTEXT_WORDS = r"still|running|already|done|is|are|was|were|has|have|had|after|once|while|since|because"
#: How many words between the module and a close word still tie them together.
NEAR = 3
#: A message this short (in words, without the module) is about the module itself.
BARE_WORDS = 4


def module_is_target(message: Optional[str], module_text: Optional[str]) -> bool:
    """Whether ``module_text`` (as the message spells it) is what the user wants to close."""
    if not module_text:
        return False
    if not message:
        return True
    low = message.lower()
    mention = module_text.lower()
    at = low.find(mention)
    if at < 0:
        return True  # the NLU normalised the span: trust it
    before, after = low[:at], low[at + len(mention):]
    if re.search(r"[\u4e00-\u9fff]", mention):
        return _chinese_target(before, after)
    words_before = re.findall(r"[a-z'\u4e00-\u9fff]+", before)
    words_after = re.findall(r"[a-z'\u4e00-\u9fff]+", after)
    if len(words_before) + len(words_after) <= BARE_WORDS and not _has_close(words_after):
        return not any(re.fullmatch(CONTEXT_WORDS, w) for w in words_after[:1])
    if any(w in CHINESE_CLOSE for w in after[:6].split()) or after.lstrip().startswith(CHINESE_CLOSE):
        return True
    near_after = words_after[:NEAR]
    near_before = words_before[-NEAR:]
    if near_after and re.fullmatch(CONTEXT_WORDS, near_after[0]) and not _has_close(near_after[1:2]):
        return False  # "AR is still running", "AP was done"
    return _has_close(near_after) or _has_close(near_before)


def _has_close(words: list) -> bool:
    return any(re.fullmatch(CLOSE_WORDS, w) for w in words)


def _chinese_target(before: str, after: str) -> bool:
    head = after.lstrip()[:6]
    if any(head.startswith(w) or w in head[:4] for w in CHINESE_CLOSE):
        return True
    if any(w in before[-4:] for w in ("结", "关")):
        return True  # 结应收 / 关应付
    rest = re.sub(r"[\s，,。？?！!的了吗呢吧呀啊]", "", before + after)
    return len(rest) <= 4  # 应收呢？ / 那应收
