"""Closebot: finds why the financial period close is blocked and what to do about it.

This package never imports rasa: the Rasa actions in ``actions/`` and the ``closebot``
CLI are two thin front doors to the same services.
"""

__version__ = "0.1.0"
