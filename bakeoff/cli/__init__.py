"""The ``bakeoff`` command line."""
