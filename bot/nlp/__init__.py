"""Language helpers: the spaCy entity pipeline Rasa loads and entity normalisation.

Nothing here imports rasa; :mod:`bot.nlp.normalize` does not import spaCy either.
"""
