"""Person linkage: a stable person spine across the five sources (deterministic, then Splink)."""
