"""Analytics for the finance director: the event broker's tracker events become conversation facts
in the store (events, facts, consumer), and the facts become a report of plots and one HTML page
(figures, plots, report).

May import ``bot.store`` and ``bot.core`` (and ``bot.diagnosis`` for the words of blocker kinds).
"""
