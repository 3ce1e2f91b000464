"""The process: settings to client wiring, the CLI, the runner, the offline demo."""
