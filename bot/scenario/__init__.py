"""The scenario (ERP snapshot) file: parse and check it, and load it into the store.

May import every package below ``bot.tickets`` in the README's Layout, and ``bot.tickets``.
"""

from bot.scenario.data import ScenarioData
from bot.scenario.load import load_data, load_file, load_scenario
from bot.scenario.parse import parse_document, parse_file

__all__ = [
    "ScenarioData",
    "load_data",
    "load_file",
    "load_scenario",
    "parse_document",
    "parse_file",
]
