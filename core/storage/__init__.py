"""Files and secrets the app owns.

Paths, atomic writes, settings, the session table, secret stores, the `aws login` cache.
"""
