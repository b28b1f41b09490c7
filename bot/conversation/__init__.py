"""What the assistant says and does for each request, for each persona (employee, helpdesk,
finance advisor): the services the Rasa actions call, each returning a ``Reply``.

The top of the domain: may import every package below it, never ``bot.cli``, never rasa.
"""
