"""Guided fixes: one blocker opened up into its records, owners and next steps; notes to the
owners; what changed since the last look.

May import every package below ``bot.tickets`` in the README's Layout, and ``bot.tickets``.
"""
