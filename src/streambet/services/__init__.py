"""Use cases. Each opens one unit of work and commits once."""
