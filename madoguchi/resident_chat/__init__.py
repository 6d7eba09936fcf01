"""The resident channel: the home chat page, the ``/resident`` socket and the bot-then-person conversation."""
