"""Video generation providers: protocol (base), adapter (fitting), table (registry), clients."""
