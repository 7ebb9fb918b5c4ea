"""Database plumbing: the engine, the per-request session, search indexes."""
