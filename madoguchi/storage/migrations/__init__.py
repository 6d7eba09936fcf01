"""Alembic migrations of the durable schema, run by :func:`madoguchi.storage.db.migrate`."""
