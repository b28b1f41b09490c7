"""The contract's vocabulary, errors, the one clock, text helpers and environment settings.

Imports nothing else from ``bot``: every other package may import it.
"""
