"""The vocabulary every layer shares: sessions, errors, events, ports, time formats. Imports nothing of the app."""
