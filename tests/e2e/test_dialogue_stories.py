"""Every flow's test stories pass against the trained model (``rasa test core``)."""

import subprocess

import pytest

from tests.conftest import BIN, MODEL, ROOT

pytestmark = pytest.mark.slow


def test_rasa_test_stories_pass(tmp_path) -> None:
    assert MODEL.exists(), "run scripts/setup.sh first: the trained model is missing"
    result = subprocess.run(
        [str(BIN / "rasa"), "test", "core", "--stories", "tests/stories", "--model", str(MODEL),
         "--fail-on-prediction-errors", "--out", str(tmp_path / "results")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    failed = tmp_path / "results" / "failed_test_stories.yml"
    assert not failed.exists() or "story:" not in failed.read_text()
