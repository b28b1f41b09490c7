"""What every chat channel shares, with no web framework in it: conversation keys, who is
really speaking (the verified channel user as a directory user), accepting an inbound message
exactly once, and pushing ticket news back into the conversation it came from.

The Rasa adapters in the top-level ``channels`` package verify requests and call these. May
import ``bot.core``, ``bot.store`` and ``bot.people``.
"""
