"""The Teams app package in teams/: a v1.16 manifest for a bot in personal and team scopes,
with placeholders the admin fills in (docs/teams.md), and the two icons Teams requires."""

import json
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEAMS = ROOT / "teams"


def _manifest() -> dict:
    return json.loads((TEAMS / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_is_a_v116_bot_for_personal_and_team_scopes() -> None:
    manifest = _manifest()
    assert manifest["manifestVersion"] == "1.16" and "/v1.16/" in manifest["$schema"]
    (bot,) = manifest["bots"]
    assert set(bot["scopes"]) == {"personal", "team"} and bot["isNotificationOnly"] is False
    assert manifest["id"] == bot["botId"] == "{{TEAMS_APP_ID}}"
    assert manifest["validDomains"] == ["{{YOUR-HOST}}"]


def test_the_manifest_keeps_within_the_schema_limits() -> None:
    manifest = _manifest()
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000
    for command_list in manifest["bots"][0]["commandLists"]:
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128


def _png_size(path: Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_icons_have_the_sizes_teams_requires() -> None:
    icons = _manifest()["icons"]
    assert _png_size(TEAMS / icons["color"]) == (192, 192)
    assert _png_size(TEAMS / icons["outline"]) == (32, 32)
