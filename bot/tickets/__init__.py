"""Close tickets and escalations: the ticket service, its domain events and their reactions.

May import ``bot.core``, ``bot.store``, ``bot.people``, ``bot.nlp``, ``bot.diagnosis``,
``bot.integrations`` and ``bot.outbox`` (whose rows a ticket change queues).
"""
