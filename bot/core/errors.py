"""Errors the front doors (CLI, actions) turn into clear messages."""

from typing import List


class ClosebotError(Exception):
    """Base of every error meant to be shown to a person."""


class ScenarioError(ClosebotError):
    """A scenario file that breaks the contract; ``errors`` each name their path."""

    def __init__(self, errors: List[str]):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


class NotFoundError(ClosebotError):
    """An unknown company, user, module, ticket or a malformed period (CLI exit 2)."""


class PermissionDenied(ClosebotError):
    """The asking user may not see or change this; the message says why and who can help."""
