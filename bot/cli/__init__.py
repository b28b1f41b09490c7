"""The ``closebot`` command line and the terminal chat: front doors, importing anything below."""
