"""Brief Studio's PySide6 user interface. Imports the core (studio); never the reverse."""
