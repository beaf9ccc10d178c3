"""Publishing to portals: one module per portal kind, sharing :mod:`.base`."""
