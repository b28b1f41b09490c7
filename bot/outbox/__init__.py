"""The durable ticket outbox: a ticket the user was promised reaches the remote system once.

A change to a ticket (created, status, comment) writes an outbox row in the same transaction
as the change itself (``store``); a worker (``worker``: the CLI's ``closebot outbox work``,
a thread in the action server, or one bounded attempt right after "open a ticket") claims due
rows under a lease and sends them (``delivery``), retrying with backoff while the remote is
down. A create first looks the ticket up by its correlation id, so a worker that crashed
between the remote's answer and our commit never makes a second remote ticket. Nothing here
runs when the local backend is configured.

May import ``bot.core``, ``bot.nlp``, ``bot.store``, ``bot.people``, ``bot.diagnosis`` and
``bot.integrations``; the ticket service (above it) writes its rows.
"""
