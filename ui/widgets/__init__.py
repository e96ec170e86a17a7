"""Reusable widgets of the Brief Studio window."""
