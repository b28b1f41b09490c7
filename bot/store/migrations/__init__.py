"""Alembic migrations of Closebot's own store (not Rasa's tracker store).

Shipped inside the package so ``closebot db upgrade`` works from any install; the API around
them is ``bot.store.schema``. ``versions/`` holds one module per revision, oldest first.
"""
