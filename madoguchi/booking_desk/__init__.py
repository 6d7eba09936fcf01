"""The booking desk: residents and staff book, move, cancel and check in (HTTP API, /book page, CLI, reminders)."""
