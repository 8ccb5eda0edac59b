"""Quality gate: GX suites run as blocking asset checks before publication."""
