"""What counts as noise: it goes to the fallback; everything a person might mean does not."""

import random

import pytest

from bot.nlp.noise import is_noise

RANDOM = random.Random(7)


@pytest.mark.parametrize("text", [
    "", "   \n\t ", "?", "...", "😀😀😀🔥🔥", "👍", "!!!!!!!!!!!!!!!!!!!!",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Nooooooooooooooooooooooooo", "zzzzzzzzzzzz hi",
    "November!!!!!!!!!!!!!!!!!!!!", "-_-_-_-_-_-_-_-_-_-_", "(╯°□°)╯︵ ┻━┻",
    bytes(RANDOM.randrange(256) for _ in range(400)).decode("latin-1"),
    bytes(RANDOM.randrange(256) for _ in range(400)).decode("utf-8", errors="replace"),
    "\x00\x01\x02\x03 hello \x04\x05\x06\x07\x08",
    "asdf" * 900, "lorem ipsum dolor " * 200, "why can't I close " * 60,
    "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQgZW5jb2RlZCBqdW5rIHRoYXQgbm9ib2R5IHR5cGVz",
])
def test_noise(text: str) -> None:
    assert is_noise(text)


@pytest.mark.parametrize("text", [
    "why can't I close November?", "SO-1042?", "30415", "2", "ok", "怎么解决？", "十一月结不了账",
    "👍 thanks", "C200", "no!!!", "hmm", "cls-2", "open a ticket pls 🙏", "业务系统未结账，不能结账",
    "why can't I close novemberrrrr", "resolve HD-30415: bank file re-sent",
    "Hi, the GL close for C100 2026-11 fails with 业务系统未结账，不能结账. Yesterday the AR ageing job "
    "JOB-AR-AGING failed with ORA-00054 resource busy, and PAY-88 from Bank of Shanghai is still pending. "
    "Sales says SO-1042 has no price because the customer has not confirmed it. We tried rerunning the "
    "job at 02:00 but it failed again. Can you tell me what to do first and who has to do it? Thanks",
])
def test_not_noise(text: str) -> None:
    assert not is_noise(text)
