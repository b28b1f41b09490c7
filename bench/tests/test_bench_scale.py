"""The scale benchmark on a tiny size: a valid scenario, the fixed blockers, the plans captured.

No timing is asserted; these prove the benchmark measures the right thing, so its numbers mean something.
"""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench import scale
from bot.scenario.parse import parse_file
from bot.store.db import get_engine

TINY = 200


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "tiny.json"
    scale.generate(TINY, path)
    return path


def test_the_generator_writes_a_valid_deterministic_scenario(tiny_file: Path, tmp_path: Path) -> None:
    data = parse_file(tiny_file)  # raises ScenarioError listing every problem if invalid
    big = [o for o in data.orders if o["company"] == scale.COMPANY]
    assert len(big) == TINY
    assert len([p for p in data.payments if p["company"] == scale.COMPANY]) == TINY
    sizes = scale.section_sizes(TINY)
    for section in ("jobs", "vouchers", "reconciliations"):
        assert len([e for e in data.section(section) if e["company"] == scale.COMPANY]) == sizes[section]
    assert {c["id"] for c in data.companies} == {"C100", "C200", scale.COMPANY}  # the demo is kept
    again = tmp_path / "again.json"
    scale.generate(TINY, again)
    assert again.read_bytes() == tiny_file.read_bytes()


def test_blockers_are_the_fixed_set_and_plans_are_captured(tiny_file: Path, tmp_path: Path) -> None:
    case = scale.run_case(TINY, "sqlite", str(tiny_file), f"sqlite:///{tmp_path / 'tiny.db'}", repeats=2)
    get_engine(f"sqlite:///{tmp_path / 'tiny.db'}").dispose()
    assert scale.root_causes(case["diagnosis"]) == scale.BLOCKERS
    scale.check_same_answer([case])
    assert case["rows"] == sum(case["counts"].values()) > 2 * TINY
    assert case["diagnose_ms"]["n"] == 2
    plans = {p["query"]: p for p in case["plans"]}
    assert {"orders", "payments", "jobs", "vouchers", "reconciliations", "components"} <= set(plans)
    assert all(p["plan"] for p in plans.values())
    # The growing tables are sought by company, period and status: never a scan of the healthy rows.
    for table in scale.BIG_TABLES:
        assert not plans[table]["full_scan"], plans[table]["plan"]
        seeks = [a for a in plans[table]["access"] if a.startswith(f"SEARCH {table} ")]
        assert seeks and all("status=?" in a for a in seeks), plans[table]["access"]


def test_the_answer_check_rejects_a_different_diagnosis(tiny_file: Path, tmp_path: Path) -> None:
    case = scale.run_case(TINY, "sqlite", str(tiny_file), f"sqlite:///{tmp_path / 'tiny.db'}", repeats=1)
    get_engine(f"sqlite:///{tmp_path / 'tiny.db'}").dispose()
    other = {**case, "diagnosis": {**case["diagnosis"], "blockers": case["diagnosis"]["blockers"][1:]}}
    with pytest.raises(AssertionError):
        scale.check_same_answer([case, other])


def test_run_reports_growth_over_sizes(tmp_path: Path) -> None:
    results = scale.run([100, TINY], ["sqlite"], scale.DEFAULT_PG_URL, 1, tmp_path, in_process=True)
    assert [c["size"] for c in results["cases"]] == [100, TINY]
    growth = results["growth"]["sqlite"]
    assert set(growth["p50_ms"]) == {100, TINY} and growth["log_bound"] > 1
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.db*"))  # cleaned up


@pytest.mark.postgres
def test_postgres_case_gives_the_same_blockers(tiny_file: Path, tmp_path: Path) -> None:
    if not scale.postgres_reachable(scale.DEFAULT_PG_URL):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
    on_sqlite = scale.run_case(TINY, "sqlite", str(tiny_file), f"sqlite:///{tmp_path / 'tiny.db'}", repeats=1)
    get_engine(f"sqlite:///{tmp_path / 'tiny.db'}").dispose()
    with scale.scratch_postgres(scale.DEFAULT_PG_URL) as url:
        try:
            on_pg = scale.run_case(TINY, "postgresql", str(tiny_file), url, repeats=1)
            engine = create_engine(url, future=True)
            with engine.connect() as conn:  # the loader analyzed the tables it replaced
                analyzed = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'orders'")).scalar()
            engine.dispose()
        finally:
            get_engine(url).dispose()
    assert analyzed >= TINY
    scale.check_same_answer([on_sqlite, on_pg])
    plans = {p["query"]: p for p in on_pg["plans"]}
    assert plans["orders"]["plan"][0] and "rows_read" in plans["orders"]
