"""Schema versions of the files the core reads, in a module that imports nothing.

The window's first-frame preview (:mod:`studio.preview`) checks project.yaml's version
without importing the pydantic models (docs/performance.md "startup_ratio").
"""

#: project.yaml's current ``schema_version`` (studio.model.SCHEMA_VERSION)
SCHEMA_VERSION = 1
