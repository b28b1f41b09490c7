"""Turn latency, throughput, capacity and per-layer cost of the real stack (``make bench-latency``).

Simulated users hold complete conversations over the REST channel against the real Rasa
server and action server (``harness.stack.Stack``): greet, report a blocked close (diagnosis),
next blocker, open a ticket, add a note (ticket number), ticket status. Every reply is checked;
a wrong answer, an HTTP error or a timeout counts as an error. The stock ``rasa init`` assistant
goes through the same harness in the same run, and Closebot's figures are reported as ratios
to it, which stay meaningful on a busy machine where absolute milliseconds do not.

Each simulated conversation has its own sender id, ``<demo user>:<run>-<user>-<conversation>``
(``bot.people.access.user_id_of`` maps it back to the demo user), so parallel conversations get their
own tracker and lock, as real users would, instead of serialising on one.

Modules, each importing only those above it:

* ``conversations``: the scripts the users hold and the check of every reply;
* ``load``: the asyncio + aiohttp load generator (turn records);
* ``stats``: turn records summed up (percentiles, msg/s, errors);
* ``sampling``: memory and CPU of the servers while load runs;
* ``levels``: one load level measured (and the warm-up before it);
* ``capacity``: most users with think time within the latency objective;
* ``layers``: NLU, policy, action server and database timed alone;
* ``profiles``: the production profile's environment, databases and queue;
* ``assistants``: Closebot in a profile or the stock moodbot, started and stopped;
* ``benchmark``: everything measured for one assistant;
* ``comparison`` and ``report``: ratios to stock, targets, the printed tables;
* ``cli`` (run by ``python -m bench.latency``): options, main, the JSON results.
"""
