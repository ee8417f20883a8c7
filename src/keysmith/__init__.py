"""Keysmith: why an AI pilot worked and its rollout stalled, grounded in the Instant Competence framework."""

__version__ = "0.1.0"
