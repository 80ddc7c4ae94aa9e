"""A run: its manifest (the one record of its state), how it is created and executed (runner),
and its steps in order (pipeline over stages). Knows nothing of the CLI, HTTP or the engine."""
