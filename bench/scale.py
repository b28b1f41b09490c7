"""How the data layer scales: scenario load and ``diagnose`` at 10k, 100k and 1M orders.

For each size a seeded generator writes one scenario file (JSON: YAML is too slow at a
million rows) holding the demo scenario plus one big company, C900, with N orders and N
payments, N/100 jobs, N/10 vouchers and a slowly growing number of reconciliations.
Half of C900's records are in the diagnosed period, the rest spread over eleven closed
earlier periods. Nearly everything is healthy; a fixed set of blocking records
(``BLOCKERS``) is placed inside the data, so the diagnosis must be the same at every size
and on every database, which the benchmark asserts.

Each (size, database) case runs in a fresh child process, so its peak RSS is its own:
it loads the file through the real loader (``load_file``, as ``closebot scenario load``),
then times ``diagnose`` as the CLI calls it (one session per call): the first call on a
fresh connection, then warm repeats. The SQL statements of one diagnosis are captured and
explained (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) and each is timed
on its own, so a check that grows with the healthy data shows up by name.

    python -m bench.scale [--sizes 10000 100000 1000000] [--skip-postgres] [--pg-url URL]
"""

import argparse
import concurrent.futures
import json
import math
import multiprocessing
import random
import re
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from bench.common import ROOT, log, print_table, summary_ms, write_results

DEMO = ROOT / "bot" / "scenarios" / "demo.yml"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 100.0
SEED = 20261130

COMPANY = "C900"
CLERK = "u-c900-clerk"  # diagnose runs as this employee, who may not close the GL
PERIOD = "2026-11"
EARLIER_PERIODS = ("2025-12",) + tuple(f"2026-{m:02d}" for m in range(1, 11))
MODULES = (
    "sales", "purchasing", "inventory", "receivables", "payables",
    "fixed_assets", "payroll", "cash", "general_ledger",
)
BIG_TABLES = ("orders", "payments", "jobs", "vouchers")
"""Tables that grow with N: a full scan of one of them is what makes a diagnosis not flat."""

# The blocking records of C900 (same at every size); everything else of C900 is healthy
# or in a closed earlier period.
_BAD_ORDERS = [
    {"id": f"C900-SO-BAD-{k}", "company": COMPANY, "period": PERIOD, "kind": "sales",
     "status": "approved", "issues": ["missing_price"], "amount": "0", "currency": "CNY",
     "counterparty": "Wuxi Lakeside Retail", "owner": "u-c900-rep-03"}
    for k in (1, 2, 3)
] + [
    {"id": "C900-PO-BAD-1", "company": COMPANY, "period": PERIOD, "kind": "purchase",
     "status": "submitted", "issues": ["unapproved"], "amount": "18450.00", "currency": "CNY",
     "counterparty": "Ningbo Packaging Co.", "owner": "u-c900-rep-07"},
]
_BAD_PAYMENTS = [
    {"id": "C900-PAY-BAD-1", "company": COMPANY, "period": PERIOD, "direction": "in",
     "method": "bank_transfer", "status": "pending", "amount": "45200.00", "currency": "CNY",
     "failure_reason": "Awaiting the bank settlement file", "owner": "u-c900-ar"},
    {"id": "C900-PAY-BAD-2", "company": COMPANY, "period": PERIOD, "direction": "out",
     "method": "wechat_pay", "status": "failed", "amount": "980.50", "currency": "CNY",
     "failure_reason": "Payee account frozen", "owner": "u-c900-ap"},
]
_BAD_JOBS = [
    {"id": "C900-JOB-BAD-1", "name": "AR ageing and revaluation", "company": COMPANY,
     "period": PERIOD, "module": "receivables", "status": "failed",
     "error": "ORA-00054: resource busy and acquire with NOWAIT specified",
     "finished_at": "2026-11-27T23:40:00+08:00"},
]
_BAD_VOUCHERS = [
    {"id": "C900-V-BAD-1", "company": COMPANY, "period": PERIOD, "status": "draft", "amount": "3200.00"},
]
_BAD_RECONCILIATIONS = [
    {"company": COMPANY, "period": PERIOD, "module": "inventory", "account": "1405 Inventory",
     "subledger_total": "50000.00", "gl_total": "49250.00"},
]

BLOCKERS: Dict[Tuple[str, str], List[str]] = {
    ("system_fault", "cash"): ["bank-gateway"],  # the demo's component: affects [cash, receivables]
    ("order_error", "sales"): ["C900-SO-BAD-1", "C900-SO-BAD-2", "C900-SO-BAD-3"],
    ("order_error", "purchasing"): ["C900-PO-BAD-1"],
    ("payment_issue", "receivables"): ["C900-PAY-BAD-1"],
    ("payment_issue", "payables"): ["C900-PAY-BAD-2"],
    ("job_failed", "receivables"): ["C900-JOB-BAD-1"],
    ("voucher_unposted", "general_ledger"): ["C900-V-BAD-1"],
    ("data_mismatch", "general_ledger"): ["1405 Inventory"],
    ("permission_denied", "general_ledger"): ["u-c900-ar"],
}
"""The root causes diagnose must report for C900 at every size: (kind, module) -> refs."""


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------


def section_sizes(n: int) -> Dict[str, int]:
    """C900's records per section for ``n`` orders: the proportions of a trading company."""
    return {
        "orders": n,
        "payments": n,
        "jobs": max(n // 100, len(_BAD_JOBS)),
        "vouchers": max(n // 10, len(_BAD_VOUCHERS)),
        # Accounts reconciled per month barely grow with volume.
        "reconciliations": 24 + n // 10_000,
    }


def _demo_document() -> Dict[str, Any]:
    from bot.scenario.reader import read_document

    return read_document(DEMO)


def _big_company() -> Dict[str, List[Dict[str, Any]]]:
    """C900's company, users and module states: fixed whatever the size."""
    users = [
        {"id": CLERK, "name": "Chen Jie", "role": "employee", "company": COMPANY, "close_permissions": []},
        {"id": "u-c900-ar", "name": "Alex Liu", "role": "accountant", "company": COMPANY,
         "close_permissions": ["sales", "receivables", "cash", "general_ledger"]},
        {"id": "u-c900-ap", "name": "Lin Hua", "role": "accountant", "company": COMPANY,
         "close_permissions": ["purchasing", "payables", "inventory", "fixed_assets", "payroll"]},
        {"id": "u-c900-help", "name": "Hana Park", "role": "helpdesk", "company": COMPANY},
        {"id": "u-c900-admin", "name": "Root Admin", "role": "admin", "company": COMPANY},
    ] + [
        {"id": f"u-c900-rep-{k:02d}", "name": f"Sales rep {k}", "role": "employee", "company": COMPANY,
         "email": f"rep{k}@c900.example"}
        for k in range(16)
    ]
    current = {m: "open" for m in MODULES}
    current.update(payables="closing", general_ledger="failed")
    modules = [
        {"company": COMPANY, "period": p, "module": m, "status": "closed"}
        for p in EARLIER_PERIODS
        for m in MODULES
    ] + [
        {"company": COMPANY, "period": PERIOD, "module": m, "status": s,
         **({"message": "业务系统未结账，不能结账 (business system not closed)"} if s == "failed" else {})}
        for m, s in current.items()
    ]
    return {
        "companies": [{"id": COMPANY, "name": "Scale Test Trading (Suzhou)", "current_period": PERIOD,
                       "close_deadline": "2026-12-03T18:00:00+08:00", "timezone": "Asia/Shanghai"}],
        "users": users,
        "modules": modules,
    }


def _spread(count: int, bad: Sequence[Dict[str, Any]], healthy: Callable[[int], Dict[str, Any]]
            ) -> Iterator[Dict[str, Any]]:
    """``count`` records with the blocking ones at evenly spread positions (not at the ends)."""
    count = max(count, len(bad))
    positions = {count * (k + 1) // (len(bad) + 1): item for k, item in enumerate(bad)}
    for i in range(count):
        yield positions[i] if i in positions else healthy(i)


def _money(rng: random.Random, low: int = 100, high: int = 5_000_000) -> str:
    cents = rng.randint(low, high)
    return f"{cents // 100}.{cents % 100:02d}"


def _big_records(n: int, rng: random.Random) -> Dict[str, Iterator[Dict[str, Any]]]:
    """Lazy generators of C900's records: nothing of size N is held in memory."""
    sizes = section_sizes(n)
    reps = [f"u-c900-rep-{k:02d}" for k in range(16)]
    parties = [f"Counterparty {k:03d} Ltd." for k in range(200)]
    bad_order_slots = {n * (k + 1) // (len(_BAD_ORDERS) + 1) for k in range(len(_BAD_ORDERS))}

    def period() -> str:
        return PERIOD if rng.random() < 0.5 else rng.choice(EARLIER_PERIODS)

    def order(i: int) -> Dict[str, Any]:
        roll = rng.random()
        cancelled = roll < 0.03
        return {
            "id": f"C900-ORD-{i:07d}", "company": COMPANY, "period": period(),
            "kind": "sales" if rng.random() < 0.7 else "purchase",
            "status": "cancelled" if cancelled else "posted",
            # Some cancelled orders keep their issues: they still must not block.
            "issues": ["missing_price"] if cancelled and roll < 0.01 else [],
            "amount": _money(rng), "currency": "CNY",
            "counterparty": rng.choice(parties), "owner": rng.choice(reps),
        }

    def payment(i: int) -> Dict[str, Any]:
        item = {
            "id": f"C900-PAY-{i:07d}", "company": COMPANY, "period": period(),
            "direction": "in" if rng.random() < 0.6 else "out",
            "method": rng.choice(("bank_transfer", "alipay", "wechat_pay", "card", "bill")),
            "status": "reversed" if rng.random() < 0.02 else "settled",
            "amount": _money(rng), "currency": "CNY", "owner": rng.choice(reps),
        }
        target = rng.randrange(n)
        if target not in bad_order_slots and rng.random() < 0.5:
            item["order"] = f"C900-ORD-{target:07d}"
        return item

    def job(i: int) -> Dict[str, Any]:
        module = rng.choice(MODULES)
        return {
            "id": f"C900-JOB-{i:06d}", "name": f"Nightly {module} batch {i}", "company": COMPANY,
            "period": period(), "module": module, "status": "succeeded",
            "finished_at": f"2026-11-{1 + i % 28:02d}T02:{i % 60:02d}:00+08:00",
        }

    def voucher(i: int) -> Dict[str, Any]:
        return {"id": f"C900-V-{i:07d}", "company": COMPANY, "period": period(), "status": "posted",
                "amount": _money(rng)}

    def reconciliation(i: int) -> Dict[str, Any]:
        sub = _money(rng, 10_000, 900_000_000)
        # Every fifth one is off by exactly 0.01, which is within tolerance.
        gl = str(Decimal(sub) + Decimal("0.01")) if i % 5 == 0 else sub
        return {"company": COMPANY, "period": PERIOD if i % 2 == 0 else EARLIER_PERIODS[i % 11],
                "module": rng.choice(MODULES[:8]), "account": f"{2000 + i} Account {i}",
                "subledger_total": sub, "gl_total": gl}

    return {
        "orders": _spread(sizes["orders"], _BAD_ORDERS, order),
        "payments": _spread(sizes["payments"], _BAD_PAYMENTS, payment),
        "jobs": _spread(sizes["jobs"], _BAD_JOBS, job),
        "vouchers": _spread(sizes["vouchers"], _BAD_VOUCHERS, voucher),
        "reconciliations": _spread(sizes["reconciliations"], _BAD_RECONCILIATIONS, reconciliation),
    }


def generate(n: int, path: Path, seed: int = SEED) -> Dict[str, int]:
    """Write the scenario for ``n`` orders to ``path`` (JSON, streamed); return entries per section.

    Deterministic for a given ``n`` and ``seed``. The document is the demo scenario plus C900.
    """
    from bot.scenario.schema import LIST_SECTIONS

    rng = random.Random(seed)
    demo = _demo_document()
    fixed = _big_company()
    big = _big_records(n, rng)
    counts: Dict[str, int] = {}
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"version": 1')
        for section in LIST_SECTIONS:
            items = _chain(demo.get(section) or [], fixed.get(section, []), big.get(section, iter(())))
            out.write(f',\n"{section}": [')
            counts[section] = 0
            for chunk in _chunks(items, 10_000):
                text = json.dumps(chunk, default=str, ensure_ascii=False, separators=(",", ":"))
                out.write(("," if counts[section] else "") + text[1:-1])
                counts[section] += len(chunk)
            out.write("]")
        out.write("}\n")
    return counts


def _chain(*parts: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    for part in parts:
        yield from part


def _chunks(items: Iterator[Dict[str, Any]], size: int) -> Iterator[List[Dict[str, Any]]]:
    chunk: List[Dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------------------
# One case: load, diagnose, explain (runs in its own process)
# ---------------------------------------------------------------------------------------


@contextmanager
def _timed_parse(spent: List[float]) -> Iterator[None]:
    """Time the parse step inside ``load_file`` without a second parse of a 1M-row file."""
    import bot.scenario.load as loader

    real = loader.parse_file

    def timed(path: Any) -> Any:
        started = time.perf_counter()
        try:
            return real(path)
        finally:
            spent.append(time.perf_counter() - started)

    loader.parse_file = timed
    try:
        yield
    finally:
        loader.parse_file = real


def _diagnose_once(url: str) -> Tuple[float, Dict[str, Any]]:
    """One diagnosis exactly as ``closebot diagnose --company C900 --user <clerk>`` runs it."""
    from bot.diagnosis.engine import diagnose
    from bot.integrations.statuspage import status_source
    from bot.store.db import session_scope

    started = time.perf_counter()
    with session_scope(url) as session:
        result = diagnose(session, COMPANY, period=None, module="general_ledger", user_id=CLERK,
                          status=status_source())
    return time.perf_counter() - started, result.to_dict()


def _capture_statements(url: str) -> List[Tuple[str, Any]]:
    """The SQL statements (with parameters) one diagnosis sends to the database."""
    from sqlalchemy import event

    from bot.store.db import get_engine

    seen: List[Tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        _diagnose_once(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def label(statement: str) -> str:
    """A short name for a diagnosis statement: the table it reads and what for."""
    match = re.search(r"\bFROM\s+\"?(\w+)", statement)
    table = match.group(1) if match else "?"
    if table == "module_states" and "<" in statement:
        return "module_states (earlier periods)"
    if table == "users" and "LIKE" in statement.upper():
        return "users (who may close)"
    return table


def explain(url: str, statements: List[Tuple[str, Any]], repeats: int = 5) -> List[Dict[str, Any]]:
    """Plan and standalone time of each statement; flags full scans of the growing tables."""
    from bot.store.db import get_engine

    engine = get_engine(url)
    dialect = engine.dialect.name
    plans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            name = label(statement)
            table = name.split()[0]
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                rows = conn.exec_driver_sql(statement, parameters).fetchall()
                times.append(time.perf_counter() - started)
            entry: Dict[str, Any] = {
                "query": name,
                "sql": statement,
                "parameters": parameters,
                "rows_returned": len(rows),
                "ms": round(statistics.median(times) * 1000.0, 3),
            }
            if dialect == "sqlite":
                details = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                entry["plan"] = details
                entry["access"] = [d for d in details if d.startswith(("SEARCH", "SCAN"))]
                entry["full_scan"] = [d for d in details if _scanned_table(d) in BIG_TABLES]
            else:
                text = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                entry["plan"] = [r[0] for r in text]
                tree = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
                nodes = list(_pg_nodes(tree[0]["Plan"]))
                entry["access"] = [_pg_access(n) for n in nodes if "Relation Name" in n or "Index Name" in n]
                entry["rows_read"] = sum(
                    int(n.get("Actual Rows", 0)) * int(n.get("Actual Loops", 1))
                    + int(n.get("Rows Removed by Filter", 0))
                    + int(n.get("Rows Removed by Index Recheck", 0))
                    for n in nodes
                    if n.get("Node Type", "").endswith("Scan") and "Bitmap Heap" not in n.get("Node Type", "")
                )
                entry["full_scan"] = [
                    _pg_access(n) for n in nodes
                    if n.get("Node Type") == "Seq Scan" and n.get("Relation Name") in BIG_TABLES
                ]
            entry["table"] = table
            plans.append(entry)
    return plans


def _scanned_table(detail: str) -> Optional[str]:
    """The table a SQLite plan line reads in full (``SCAN orders ...``), if any."""
    match = re.match(r"SCAN (\w+)", detail)
    return match.group(1) if match else None


def _pg_nodes(node: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def _pg_access(node: Dict[str, Any]) -> str:
    text = node["Node Type"]
    if "Index Name" in node:
        text += f" using {node['Index Name']}"
    if "Relation Name" in node:
        text += f" on {node['Relation Name']}"
    cond = node.get("Index Cond") or node.get("Recheck Cond")
    if cond:
        # ``(((company_id)::text = 'C900'::text) AND ...)`` -> ``company_id = 'C900' AND ...``
        cond = re.sub(r"::(character varying|\w+)(\[\])?", "", cond).replace("(", "").replace(")", "")
        text += f" ({cond})"
    return text


def run_case(size: int, db: str, scenario: str, url: str, repeats: int = 20) -> Dict[str, Any]:
    """Load ``scenario`` into the (empty) database at ``url`` and time ``diagnose`` on it."""
    import resource

    from sqlalchemy import text

    from bot.scenario.load import load_file
    from bot.store.db import get_engine, session_scope

    engine = get_engine(url)
    parse_spent: List[float] = []
    started = time.perf_counter()
    with _timed_parse(parse_spent), session_scope(url) as session:
        counts = load_file(session, scenario)
    load_s = time.perf_counter() - started
    rows = sum(counts.values())
    engine.dispose()  # the first diagnosis gets a new connection (and, on SQLite, a cold page cache)

    cold_s, first = _diagnose_once(url)
    statements = _capture_statements(url)
    warm = []
    for _ in range(repeats):
        spent, result = _diagnose_once(url)
        warm.append(spent)
        if result != first:
            raise AssertionError(f"{db} {size}: repeated diagnoses differ")
    plans = explain(url, statements)
    with engine.connect() as conn:
        if db == "sqlite":
            db_bytes = Path(url.split("///", 1)[1]).stat().st_size
        else:
            db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return {
        "size": size,
        "db": db,
        "rows": rows,
        "counts": counts,
        "parse_s": round(parse_spent[0], 3),
        "load_s": round(load_s, 3),
        "write_s": round(load_s - parse_spent[0], 3),
        "load_rows_per_s": round(rows / load_s),
        "db_mb": round(db_bytes / 2**20, 1),
        "diagnose_cold_ms": round(cold_s * 1000.0, 1),
        "diagnose_ms": summary_ms(warm),
        "statements": len(statements),
        "sql_ms": round(sum(p["ms"] for p in plans), 2),
        "plans": plans,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "diagnosis": first,
    }


# ---------------------------------------------------------------------------------------
# Databases and the driver
# ---------------------------------------------------------------------------------------


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for one case, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"closebot_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_reachable(admin_url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def root_causes(diagnosis: Dict[str, Any]) -> Dict[Tuple[str, str], List[str]]:
    """(kind, module) -> refs of the record-level blockers (not the module chain)."""
    found = [
        (b["kind"], b["module"], b["refs"]) for b in diagnosis["blockers"] if b["kind"] != "module_not_closed"
    ]
    causes = {(kind, module): refs for kind, module, refs in found}
    if len(causes) != len(found):
        raise AssertionError(f"two blockers of one kind and module: {found}")
    return causes


def check_same_answer(cases: List[Dict[str, Any]]) -> None:
    """Every case must find exactly ``BLOCKERS``, with identical blocker lists everywhere."""
    for case in cases:
        found = root_causes(case["diagnosis"])
        if found != BLOCKERS:
            raise AssertionError(f"{case['db']} at {case['size']}: root causes {found} != {BLOCKERS}")
        if case["diagnosis"]["blockers"] != cases[0]["diagnosis"]["blockers"]:
            raise AssertionError(
                f"{case['db']} at {case['size']} gives other blockers than "
                f"{cases[0]['db']} at {cases[0]['size']}"
            )


def _in_child(size: int, db: str, scenario: str, url: str, repeats: int) -> Dict[str, Any]:
    """Run one case in a fresh interpreter, so its peak RSS and caches are its own."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_case, size, db, scenario, url, repeats).result()


def run(sizes: Sequence[int], dbs: Sequence[str], pg_url: str, repeats: int,
        workdir: Path, in_process: bool = False) -> Dict[str, Any]:
    """Every (size, database) case, smallest size first; generated files are deleted after use."""
    runner = run_case if in_process else _in_child
    cases: List[Dict[str, Any]] = []
    generated: Dict[int, Dict[str, Any]] = {}
    for size in sorted(sizes):
        path = workdir / f"scenario-{size}.json"
        log(f"scale: generating {size:,} orders")
        started = time.perf_counter()
        counts = generate(size, path)
        generated[size] = {
            "seconds": round(time.perf_counter() - started, 2),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "counts": counts,
        }
        for db in dbs:
            log(f"scale: {size:,} orders on {db}")
            if db == "sqlite":
                db_path = workdir / f"scale-{size}.db"
                try:
                    case = runner(size, db, str(path), f"sqlite:///{db_path}", repeats)
                finally:
                    for leftover in workdir.glob(f"scale-{size}.db*"):
                        leftover.unlink()
            else:
                with scratch_postgres(pg_url) as url:
                    case = runner(size, db, str(path), url, repeats)
                    if in_process:
                        from bot.store.db import get_engine

                        get_engine(url).dispose()
            case["generate_s"] = generated[size]["seconds"]
            case["file_mb"] = generated[size]["file_mb"]
            cases.append(case)
            check_same_answer(cases)
        path.unlink()
    return {"generated": generated, "cases": cases, "growth": growth(cases)}


def growth(cases: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Per database: diagnose p50 at the largest vs the smallest size, against a log bound."""
    out: Dict[str, Dict[str, Any]] = {}
    for db in dict.fromkeys(c["db"] for c in cases):
        mine = sorted((c for c in cases if c["db"] == db), key=lambda c: c["size"])
        small, big = mine[0], mine[-1]
        ratio = big["diagnose_ms"]["p50"] / max(small["diagnose_ms"]["p50"], 1e-9)
        bound = math.log(big["size"]) / math.log(small["size"]) if big["size"] > small["size"] else 1.0
        out[db] = {
            "p50_ms": {c["size"]: c["diagnose_ms"]["p50"] for c in mine},
            "ratio": round(ratio, 2),
            # The database's share alone (each statement run on its own), free of the fixed Python cost.
            "sql_ms": {c["size"]: c["sql_ms"] for c in mine},
            "sql_ratio": round(big["sql_ms"] / max(small["sql_ms"], 1e-9), 2),
            "log_bound": round(bound, 2),
            "largest": big["size"],
            "under_target": big["diagnose_ms"]["p50"] < TARGET_MS and big["diagnose_ms"]["p95"] < TARGET_MS,
            # Flat: neither the whole call nor its SQL grows faster than log N.
            "flat": ratio <= bound and big["sql_ms"] / max(small["sql_ms"], 1e-9) <= bound,
            "full_scans": sorted({s for p in big["plans"] for s in p["full_scan"]}),
        }
    return out


def report(results: Dict[str, Any]) -> None:
    cases = results["cases"]
    print_table(
        ["orders", "db", "rows", "gen s", "file MB", "parse s", "write s", "load s", "load rows/s",
         "db MB", "diag 1st ms", "diag p50 ms", "diag p95 ms", "SQL ms", "peak RSS MB"],
        [
            [c["size"], c["db"], c["rows"], c["generate_s"], c["file_mb"], c["parse_s"], c["write_s"],
             c["load_s"], c["load_rows_per_s"], c["db_mb"], c["diagnose_cold_ms"], c["diagnose_ms"]["p50"],
             c["diagnose_ms"]["p95"], c["sql_ms"], c["peak_rss_mb"]]
            for c in cases
        ],
        title="Scenario load and diagnose by size (C900; first call = new connection)",
    )
    sizes = sorted({c["size"] for c in cases})
    print_table(
        ["db", *[f"p50 ms @{s:,}" for s in sizes], "ratio", *[f"SQL ms @{s:,}" for s in sizes], "SQL ratio",
         "log bound", f"< {TARGET_MS:.0f} ms", "flat"],
        [
            [db, *[g["p50_ms"].get(s, "-") for s in sizes], g["ratio"], *[g["sql_ms"].get(s, "-") for s in sizes],
             g["sql_ratio"], g["log_bound"], "yes" if g["under_target"] else "NO", "yes" if g["flat"] else "NO"]
            for db, g in results["growth"].items()
        ],
        title="diagnose growth: ratio = p50 at the largest / smallest size; SQL = the statements alone; "
        "log bound = ln N_max / ln N_min",
    )
    largest = sizes[-1]
    smallest = sizes[0]
    for db in dict.fromkeys(c["db"] for c in cases):
        big = next(c for c in cases if c["db"] == db and c["size"] == largest)
        small = next(c for c in cases if c["db"] == db and c["size"] == smallest)
        small_ms = {p["query"]: p["ms"] for p in small["plans"]}
        print_table(
            ["query", "access path", "full scan", "rows out", "rows read",
             f"ms @{smallest:,}", f"ms @{largest:,}"],
            [
                [p["query"], "; ".join(a for a in p["access"] if f" {p['table']}" in a) or "-",
                 "YES" if p["full_scan"] else "no", p["rows_returned"], p.get("rows_read", "-"),
                 small_ms.get(p["query"], "-"), p["ms"]]
                for p in big["plans"]
            ],
            title=f"Query plans of one diagnosis at {largest:,} orders on {db} (ms: each statement alone; "
            "rows read: PostgreSQL EXPLAIN ANALYZE, scanned + removed by filter)",
        )
    first = cases[0]["diagnosis"]
    print_table(
        ["kind", "module", "refs", "severity"],
        [[b["kind"], b["module"], ", ".join(b["refs"]), b["severity"]] for b in first["blockers"]],
        title=f"The diagnosis (identical at every size and database): can_close={first['can_close']}",
    )


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="orders per run")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="admin URL; a scratch database is made")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--repeats", type=int, default=20, help="warm diagnose calls per case")
    parser.add_argument("--in-process", action="store_true", help="no child process per case (RSS accumulates)")
    args = parser.parse_args(argv)
    dbs = ["sqlite"]
    if not args.skip_postgres:
        if not postgres_reachable(args.pg_url):
            parser.error(f"PostgreSQL not reachable at {args.pg_url} (use --skip-postgres)")
        dbs.append("postgresql")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="closebot-scale-") as tmp:
        results = run(args.sizes, dbs, args.pg_url, args.repeats, Path(tmp), args.in_process)
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["target_ms"] = TARGET_MS
    results["blockers_expected"] = {f"{k}/{m}": refs for (k, m), refs in BLOCKERS.items()}
    report(results)
    path = write_results("scale", results)
    log(f"scale: {results['wall_s']} s in all; results in {path}")


if __name__ == "__main__":
    main()
