"""The layout of bot/: packages named after what they hold, imports in one direction, no cycle.

The rule itself is import-linter's contracts in pyproject.toml ([tool.importlinter]); these
tests run them, show they catch what they promise to (an import inside a function or under
TYPE_CHECKING closes a cycle too), and keep the README's Layout section and the tree in step.
"""

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import List

import pytest
import tomli

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _packages() -> List[str]:
    return sorted(p.parent.name for p in BOT.glob("*/__init__.py"))


def _layers() -> List[str]:
    contracts = tomli.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [layers] = [c["layers"] for c in contracts if c["type"] == "layers"]
    return [name.strip() for layer in layers for name in layer.split("|")]


def _lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, timeout=120)


def test_the_import_contracts_are_kept() -> None:
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout


@pytest.mark.parametrize("hidden", ["function", "type_checking"])
def test_a_cycle_through_a_hidden_import_is_caught(tmp_path: Path, hidden: str) -> None:
    """The contracts count imports inside functions and under TYPE_CHECKING."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text({
        "function": "def later():\n    from pkg import high\n    return high\n",
        "type_checking": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import high\n",
    }[hidden])
    (pkg / "high.py").write_text("from pkg import low\n")
    (tmp_path / ".importlinter").write_text(textwrap.dedent("""\
        [importlinter]
        root_package = pkg

        [importlinter:contract:cycles]
        name = no cycles
        type = acyclic_siblings
        ancestors = pkg
        """))
    run = _lint_imports(tmp_path, "--config", ".importlinter")
    assert run.returncode == 1 and "BROKEN" in run.stdout, run.stdout + run.stderr


def test_bot_reads_as_a_list_of_packages() -> None:
    plain = sorted(p.name for p in BOT.glob("*.py") if p.name != "__init__.py")
    assert len(plain) <= 3, plain
    assert sorted(_layers()) == sorted(f"bot.{p}" for p in _packages())


def test_every_package_says_what_it_holds() -> None:
    for package in _packages():
        doc = (BOT / package / "__init__.py").read_text()
        assert doc.lstrip().startswith('"""'), package


def test_the_readme_layout_names_every_package_and_the_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    layout = layout[: layout.index("\n## ", 1)] if "\n## " in layout[1:] else layout
    for package in _packages():
        assert re.search(rf"\b{package}/", layout), package
    assert "lint-imports" in layout
