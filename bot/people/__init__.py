"""Who is asking and who to tell: access rules, the user directory, each user's inbox of notices.

May import ``bot.core`` and ``bot.store``.
"""
