"""A strict local stand-in for AWS Sign-In's `aws login` endpoints, with moto as STS.

Run it with ``python -m emulator``; see ``emulator/README.md``.
"""
