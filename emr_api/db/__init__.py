"""Models, engines and sessions per site, and the Alembic migrations."""
