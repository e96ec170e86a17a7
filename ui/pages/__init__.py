"""The window's pages. Brief and Shots live here; Cameos, Queue and Library are loaded
lazily by the main window from ui.pages.cameos / .queue / .library when present."""
