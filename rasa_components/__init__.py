"""Custom Rasa graph components; thin wrappers over :mod:`bot` code."""
