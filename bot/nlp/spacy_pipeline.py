"""Build the small spaCy pipeline Rasa loads (``SpacyNLP`` in config.yml).

No model is downloaded: the pipeline is ``spacy.blank("en")`` with a tokenizer tuned
for ERP text and an ``entity_ruler`` filled from :mod:`bot.nlp.patterns`.

Tokenizer changes (all serialised with the pipeline, no custom code needed to load it):

* a slash between letters splits ("AP/AR" is two modules);
* hyphens no longer split a token, so ``CLS-000123``, ``SO-1042``, ``JOB-AR-AGING``,
  ``V-2026-11-0087``, ``c-300`` and ``2026-11`` are single tokens (spaCy's default
  splits ``2026-11`` and ``JOB-AR-AGING``);
* every CJK character (and CJK / full-width punctuation) is its own token, so
  ``十一月不能结账`` is no longer one opaque token and ``十一月`` can be matched; and text with
  CJK in it is never one URL token (``派给li.wei处理``).

Usage::

    python -m bot.nlp.spacy_pipeline [OUTPUT_DIR]   # default build/spacy/closebot_en

The build is skipped when OUTPUT_DIR already holds a pipeline built from the same
patterns and tokenizer rules (a hash stored in ``closebot_patterns.sha256``).
"""

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import List, Optional

from bot.nlp import patterns as P

DEFAULT_OUTPUT_DIR = Path("build/spacy/closebot_en")
HASH_FILE = "closebot_patterns.sha256"
#: bump when the build logic (not the patterns) changes
BUILD_VERSION = "2"

#: CJK ideographs, CJK symbols & punctuation, full-width forms.
CJK_CHAR = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"


def _infixes() -> List[str]:
    from spacy.lang.char_classes import (
        ALPHA,
        ALPHA_LOWER,
        ALPHA_UPPER,
        CONCAT_QUOTES,
        LIST_ELLIPSES,
        LIST_ICONS,
    )

    # spaCy's English infixes without the two hyphen rules.
    return [
        *LIST_ELLIPSES,
        *LIST_ICONS,
        r"(?<=[0-9])[+\*^](?=[0-9])",
        rf"(?<=[{ALPHA_LOWER}{CONCAT_QUOTES}])\.(?=[{ALPHA_UPPER}{CONCAT_QUOTES}])",
        rf"(?<=[{ALPHA}]),(?=[{ALPHA}])",
        rf"(?<=[{ALPHA}0-9])[:<>=](?=[{ALPHA}])",
        # "AP/AR", "sales/purchasing": two modules, not one word ("A/R" stays a phrase)
        rf"(?<=[{ALPHA}])/(?=[{ALPHA}])",
        CJK_CHAR,
    ]


def _url_pattern() -> str:
    """spaCy's URL pattern, except for text with CJK in it: "派给li.wei" reads as a domain with
    the top-level domain "wei" and would stay one token, hiding the user id."""
    from spacy.lang.tokenizer_exceptions import URL_PATTERN

    return r"^(?!\S*" + CJK_CHAR + ")" + URL_PATTERN[1:]


def make_nlp():
    """Return the blank English pipeline with the custom tokenizer and entity ruler."""
    import spacy
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("en")
    defaults = nlp.Defaults
    nlp.tokenizer.infix_finditer = compile_infix_regex(_infixes()).finditer
    nlp.tokenizer.url_match = re.compile("(?u)" + _url_pattern()).match
    nlp.tokenizer.prefix_search = compile_prefix_regex(
        [CJK_CHAR, *defaults.prefixes]
    ).search
    nlp.tokenizer.suffix_search = compile_suffix_regex(
        [CJK_CHAR, *defaults.suffixes]
    ).search
    # a full stop after an abbreviated month stays a suffix ("Nov." -> "Nov", ".")
    ruler = nlp.add_pipe(
        "entity_ruler",
        config={"phrase_matcher_attr": "LOWER", "validate": True, "overwrite_ents": True},
    )
    ruler.add_patterns(P.all_patterns())
    nlp.meta["name"] = "closebot_en"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = (
        "Blank English pipeline with an entity ruler for Closebot "
        "(period, module, company, ticket_number, record_id)."
    )
    return nlp


def patterns_hash() -> str:
    """Hash of everything that determines the built pipeline."""
    import spacy

    payload = {
        "build": BUILD_VERSION,
        "spacy": spacy.__version__,
        "infixes": _infixes(),
        "cjk": CJK_CHAR,
        "url": _url_pattern(),
        "patterns": P.all_patterns(),
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def is_up_to_date(output_dir: Path) -> bool:
    marker = Path(output_dir) / HASH_FILE
    return (
        marker.is_file()
        and (Path(output_dir) / "meta.json").is_file()
        and marker.read_text(encoding="utf-8").strip() == patterns_hash()
    )


def build_pipeline(output_dir: Path = DEFAULT_OUTPUT_DIR, force: bool = False) -> Path:
    """Build the pipeline into ``output_dir`` unless it is already up to date."""
    output_dir = Path(output_dir)
    if not force and is_up_to_date(output_dir):
        return output_dir
    nlp = make_nlp()
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    (output_dir / HASH_FILE).write_text(patterns_hash() + "\n", encoding="utf-8")
    return output_dir


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    force = "--force" in args
    args = [a for a in args if a != "--force"]
    output_dir = Path(args[0]) if args else DEFAULT_OUTPUT_DIR
    was_current = not force and is_up_to_date(output_dir)
    build_pipeline(output_dir, force=force)
    state = "up to date" if was_current else "built"
    print(f"spaCy pipeline {state}: {output_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
