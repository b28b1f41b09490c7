"""Language helpers: the spaCy entity pipeline Rasa loads, entity normalisation, the free parts
of commands, and the intent model.

Nothing here imports rasa; :mod:`bot.nlp.normalize` does not import spaCy either. May import
``bot.core`` only.
"""
