"""The Library page's parts: SQL-backed grid model, thumbnail cache, delegate, preview and
A/B compare players, filter bar, details panel and lineage view."""
