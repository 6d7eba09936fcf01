"""The shared kernel: values every layer may use (participants, routes, languages, privacy); no I/O."""
