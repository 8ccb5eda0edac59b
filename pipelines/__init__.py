"""Outcomes warehouse for drug treatment in prison and on release."""
