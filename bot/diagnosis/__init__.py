"""Why a module of a company cannot close for a period: the engine, the close path, severity,
the result's shape, and ``kinds/``, one module per blocker kind.

May import ``bot.core``, ``bot.nlp``, ``bot.store`` and ``bot.people``.
"""
