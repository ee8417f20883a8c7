"""Evaluations: datasets (`evals/datasets/*.yaml`), pure evaluators, the runner (`keysmith eval`)."""
