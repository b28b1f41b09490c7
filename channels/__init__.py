"""Rasa input channels for Closebot: local REST (terminal chat, tests), Slack, Teams, web chat.

Thin adapters: each verifies its requests, turns them into ``bot.channels.inbound.Inbound``
and hands accepted messages to Rasa; what they share lives in ``bot.channels`` (no Rasa
there). ``credentials.yml`` names them; a channel whose variables are unset stays off.
"""
