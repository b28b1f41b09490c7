"""Adapters to the systems a company already runs (status pages, ServiceNow, Jira), over HTTP,
and the settings that configure them.

May import ``bot.core``, ``bot.nlp``, ``bot.store``, ``bot.people`` and ``bot.diagnosis`` (whose
``StatusReading`` a status page fills).
"""
