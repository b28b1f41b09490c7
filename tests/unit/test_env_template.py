"""`.env.template` lists every environment variable the project reads (STYLE: one place to look)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\b((?:CLOSEBOT|SERVICENOW|JIRA|SLACK|TEAMS)_[A-Z0-9_]+)\b")
SOURCES = ["bot", "actions", "channels", "rasa_components", "rasa_sdk_plugins", "scripts", "bench", "harness"]


def _code() -> list:
    """The sources scanned, without the benchmarks' tests (bench/tests/): tests set variables, code reads them."""
    return [p for d in SOURCES for p in (ROOT / d).rglob("*")
            if p.suffix in {".py", ".sh"} and "tests" not in p.relative_to(ROOT / d).parts]


def _names_in(paths) -> set:
    found = set()
    for path in paths:
        found.update(NAME.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_variable_the_code_reads_is_in_the_template() -> None:
    code = _code()
    used = _names_in(code) - _names_in([ROOT / "production.env"])
    listed = _names_in([ROOT / ".env.template"])
    assert used, "the scan found no variables at all: the pattern or the paths are wrong"
    assert sorted(used - listed) == []


def test_the_template_lists_nothing_the_code_does_not_read() -> None:
    code = _code()
    assert sorted(_names_in([ROOT / ".env.template"]) - _names_in(code)) == []
