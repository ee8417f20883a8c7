"""Kept for callers of the old path: text extraction lives in `keysmith.ingest.extract` (the CLI needs it)."""

from keysmith.ingest.extract import SUFFIXES, extract_text

__all__ = ["SUFFIXES", "extract_text"]
