"""Icons and other files the app ships, loaded with :mod:`importlib.resources` so an installed wheel finds them."""
