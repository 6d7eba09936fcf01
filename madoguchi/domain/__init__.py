"""The shared kernel: what every layer names the same way (routes, languages, privacy, participants)."""
