"""The database layer: the only code that speaks SQL (through SQLAlchemy Core)."""
