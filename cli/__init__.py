"""The command-line front end: one module per command group, the exit codes, the `credential_process` slow path."""
