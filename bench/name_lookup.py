"""What looking names up in messages costs as the store grows: people of the directory and
company names (``bot.nlp.person_mentions.DirectoryNames``, ``bot.nlp.company_mentions.CompanyNames``),
the lookups the NLU components make on every message.

For each size a seeded generator makes that many people (first and last names drawn from short
lists, so first names are shared as in a real directory) and companies; the index is built once
(as the components do once a minute) and each of a fixed set of messages is looked up, timed one
by one. ``--naive`` also times one regular expression per name tried over the whole message (how
these lookups worked before the index), for the sizes up to ``--naive-max``.

    python -m bench.name_lookup [--sizes 100 1000 5000] [--naive] [--naive-max 1000]
"""

import argparse
import random
import re
import time
from typing import Any, Dict, List, Optional, Sequence

from bench.common import log, print_table, summary_ms, write_results
from bot.nlp.company_mentions import CompanyEntry, CompanyNames, name_forms
from bot.nlp.person_mentions import DirectoryEntry, DirectoryNames

SEED = 20261204
DEFAULT_SIZES = (100, 1_000, 5_000)
FIRST = ("Li", "Wei", "Hana", "Mei", "Alex", "Lin", "Omar", "Sam", "Jun", "Yan", "Chen", "Anna", "Tom",
         "Ravi", "Sofia", "Lukas", "Aiko", "Min", "Zoe", "Ivan")
LAST = ("Wang", "Zhang", "Kim", "Chen", "Zhou", "Haddad", "Becker", "Liu", "Yang", "Huang", "Zhao",
        "Wu", "Xu", "Sun", "Ma", "Park", "Singh", "Rossi", "Muller", "Tanaka")
WORDS = ("Northwind", "Contoso", "Fabrikam", "Litware", "Tailspin", "Adatum", "Wingtip", "Proseware",
         "Lakeside", "Harbor", "Summit", "Cedar", "Maple", "Granite", "Silver", "Golden")
KINDS = ("Trading", "Manufacturing", "Retail", "Logistics", "Foods", "Textiles", "Electronics")
PLACES = ("Shanghai", "Suzhou", "Ningbo", "Shenzhen", "Hamburg", "Osaka", "Austin")


def people(n: int, rng: random.Random) -> List[DirectoryEntry]:
    found = []
    for k in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        handle = f"{first}.{last}{k}".lower()
        found.append(DirectoryEntry(f"u-{k:05d}", f"{first} {last}", f"{handle}@corp.example"))
    return found


def companies(n: int, rng: random.Random) -> List[CompanyEntry]:
    return [CompanyEntry(f"C{k:05d}",
                         f"{rng.choice(WORDS)}{k} {rng.choice(KINDS)} ({rng.choice(PLACES)}) Co., Ltd.")
            for k in range(n)]


def messages(directory: Sequence[DirectoryEntry], firms: Sequence[CompanyEntry]) -> List[str]:
    """Messages naming someone and some company of the generated store, and some naming nobody."""
    person, firm = directory[len(directory) // 2], firms[len(firms) // 2]
    short = firm.name.split(" (")[0]
    return [
        f"assign CLS-000123 to {person.name} pls",
        f"give HD-30415 to {person.email.split('@')[0]}",
        f"why can't {short} close November? the GL says 业务系统未结账",
        f"把INC0012345转给{person.name}处理，{short}的应收还没结",
        "hey closebot month end stuck again, AR is still running, can we close?",
        "Fehler beim Periodenabschluss: " + "x" * 400,
    ]


def naive_spans(text: str, forms: Sequence[str]) -> int:
    """One regular expression per form over the whole message: the cost before the index."""
    found = 0
    for form in forms:
        pattern = r"(?<![A-Za-z0-9_.@-])" + r"\s+".join(map(re.escape, form.split())) + r"(?![A-Za-z0-9_-])"
        found += sum(1 for _ in re.finditer(pattern, text, re.IGNORECASE))
    return found


def run_size(n: int, naive: bool) -> Dict[str, Any]:
    rng = random.Random(SEED + n)
    directory, firms = people(n, rng), companies(n, rng)
    started = time.perf_counter()
    names, firm_names = DirectoryNames(directory), CompanyNames(firms)
    build = time.perf_counter() - started
    texts = messages(directory, firms)
    seconds, found = [], 0
    for _ in range(20):
        for text in texts:
            started = time.perf_counter()
            found += len(names.spans(text)) + len(firm_names.spans(text))
            seconds.append(time.perf_counter() - started)
    out: Dict[str, Any] = {"size": n, "index_build_ms": round(build * 1000, 1), "per_message": summary_ms(seconds),
                           "names_found_per_round": found // 20}
    if naive:
        forms = sorted({p.name.lower() for p in directory} | set(name_forms(firms)), key=len, reverse=True)
        slow = []
        for text in texts:
            started = time.perf_counter()
            naive_spans(text, forms)
            slow.append(time.perf_counter() - started)
        out["naive_per_message"] = summary_ms(slow)
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--naive", action="store_true", help="also time one regex per name (slow)")
    parser.add_argument("--naive-max", type=int, default=1_000, help="largest size timed naively")
    parser.add_argument("--results-dir", default=None)
    args = parser.parse_args(argv)
    cases = []
    for n in args.sizes:
        log(f"  {n} people and {n} companies ...")
        cases.append(run_size(n, args.naive and n <= args.naive_max))
    rows = [(c["size"], c["index_build_ms"], c["per_message"]["p50"], c["per_message"]["p95"],
             c.get("naive_per_message", {}).get("p50", "-"), c["names_found_per_round"]) for c in cases]
    print_table(["people = companies", "index build ms", "lookup p50 ms", "lookup p95 ms",
                 "naive p50 ms", "names found"], rows, "Name lookups per message (people and companies)")
    path = write_results("name_lookup", {"benchmark": "name_lookup", "seed": SEED, "cases": cases},
                         args.results_dir)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
