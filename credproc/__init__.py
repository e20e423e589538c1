"""The `credential_process` fast path: standard library only, imports nothing of the app."""
