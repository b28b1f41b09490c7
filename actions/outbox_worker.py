"""Deliver the ticket outbox from inside the action server, when tickets go to a remote system.

Rasa SDK imports every module of this package when the action server starts, and offers no
other start-up hook; importing this one starts ``bot.outbox``'s daemon thread (once per
process, nothing at all for local tickets). ``closebot outbox work`` does the same job as a
separate process; both may run, since rows are claimed under a lease.
"""

from bot.outbox.worker import start_background

start_background()
