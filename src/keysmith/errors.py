"""Keysmith's error types.

Every error a user can cause or meet is a `KeysmithError` with a message that names the value that is wrong,
so the CLI and the UI can show it in one line without a traceback.
"""

from __future__ import annotations


class KeysmithError(Exception):
    """Base class: a problem Keysmith can explain to its user in one line."""


class ConfigError(KeysmithError):
    """A setting (environment variable, .env entry, model spec) is missing or malformed."""


class FrameworkError(KeysmithError):
    """The framework data in knowledge/framework/*.yaml is malformed (names the file and the field)."""


class ScoringInputError(KeysmithError):
    """Assessment answers are invalid (names the variable and the value)."""


class AssessmentError(KeysmithError):
    """An assessment step was asked for that the assessment's state does not allow."""


class IngestError(KeysmithError):
    """A knowledge file could not be read or its front matter is malformed (names the file)."""


class RetrievalError(KeysmithError):
    """The vector store could not be reached or queried."""


class ProviderError(KeysmithError):
    """A language-model provider failed; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = False, kind: str = "error") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.kind = kind


class StoreError(KeysmithError):
    """The database could not be reached, is locked, or a record is missing."""


class NotFoundError(StoreError):
    """A record that was looked up (a workspace, a session) does not exist; the message names it."""


class InvalidLinkError(StoreError):
    """A respondent link opens nothing: its token is unknown, expired or revoked."""


class InputLimitError(KeysmithError):
    """User input is empty, too long, too large or too frequent (names the limit)."""


class StreamCutError(ProviderError):
    """The stream broke after part of the answer arrived; `partial_text` is what the user already saw."""

    def __init__(self, message: str, partial_text: str) -> None:
        super().__init__(message, retryable=True, kind="stream_cut")
        self.partial_text = partial_text


class InputError(KeysmithError):
    """A request that cannot be carried out as given (a missing option, a reply with no question waiting)."""
