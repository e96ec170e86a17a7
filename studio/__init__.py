"""Brief Studio core: Qt-free models, project files, store, compiler, consent, queue, bundle.

Nothing in this package imports PySide6 or ``ui`` (an import-linter contract in
pyproject.toml enforces it), so the CLI and the window share every behaviour.
"""

__version__ = "0.1.0"
APP_NAME = "Brief Studio"
APP_ID = "brief-studio"
