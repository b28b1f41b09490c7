"""The database: engine and sessions, the ORM models, exact column types and the audit log.

May import ``bot.core`` only.
"""
