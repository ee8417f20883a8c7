"""Respondent links: several people answer the eight questions for one pilot, each under a role.

Mixed into `keysmith.store.Store` (`RespondentStore`), so callers use `store.create_respondent_link(...)` like
every other store method, with the same contracts (scoped by workspace, plain records, `StoreError`).

A link carries a token from `secrets.token_urlsafe` (256 bits: unguessable). Only its SHA-256 is stored, so a
copy of the database opens no form; the token is returned once, by `create_respondent_link`. A token is
looked up by its hash and the hash compared with `hmac.compare_digest`. A link expires (`DEFAULT_DAYS`) and
can be revoked; an expired, revoked or unknown token opens nothing (`open_respondent_link` returns None,
whatever the reason, so a guesser learns nothing). What a token opens is one respondent record: its role,
name and answers, never anything else of the workspace.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from keysmith.errors import InvalidLinkError, StoreError
from keysmith.store.db import Clock, clean_text
from keysmith.store.tables import RespondentRow, WorkspaceRow

DEFAULT_DAYS = 14
MAX_DAYS = 365
_TOKEN_BYTES = 32


@dataclass(frozen=True)
class Respondent:
    """One respondent: role, optional name, answers (None until they answer), and their link's dates.

    `has_link` is False for answers the coach entered (`keysmith assess --respondent`)."""

    id: str
    workspace_id: str
    role: str
    name: str
    answers: dict[str, int | None] | None
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    answered: datetime | None
    has_link: bool

    def status(self, now: datetime) -> str:
        """`revoked`, `expired`, `answered`, `waiting` (link open, no answers yet) or `entered` (no link)."""
        if not self.has_link:
            return "entered"
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and now >= self.expires:
            return "expired"
        return "answered" if self.answers is not None else "waiting"


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored for `token`."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _to_respondent(row: RespondentRow) -> Respondent:
    answers = None if row.answers is None else {str(k): v for k, v in row.answers.items()}
    return Respondent(
        row.id,
        row.workspace_id,
        row.role,
        row.name,
        answers,
        row.created,
        row.expires,
        row.revoked,
        row.answered,
        row.token_hash is not None,
    )


def _role(value: object) -> str:
    role = " ".join(clean_text(value, "role").split())
    if not role or len(role) > 80:
        raise StoreError(f"role: expected 1..80 characters, got {len(role)}")
    return role


def _person(value: object) -> str:
    name = " ".join(clean_text(value, "respondent name").split())
    if len(name) > 200:
        raise StoreError(f"respondent name: expected at most 200 characters, got {len(name)}")
    return name


def _answers(raw: Mapping[str, object]) -> dict[str, int | None]:
    """Plain `{variable: 1..5 | None}`; anything else is a `StoreError` naming the variable and value."""
    clean: dict[str, int | None] = {}
    for key, value in raw.items():
        variable = clean_text(key, "answers")[:64]
        if value is not None and (type(value) is not int or not 1 <= value <= 5):
            raise StoreError(f"answers: {variable}: expected 1..5 or null, got {value!r}")
        clean[variable] = value
    return clean


class RespondentStore:
    """The respondent methods of `Store` (see the module doc); `Store` supplies the helpers below."""

    _clock: Clock

    def _tx(self) -> AbstractContextManager[OrmSession]:  # pragma: no cover - Store's own is used
        raise NotImplementedError

    def _workspace_row(self, db: OrmSession, workspace_id: str) -> WorkspaceRow:  # pragma: no cover
        raise NotImplementedError

    def _respondent_row(self, db: OrmSession, workspace_id: str, respondent_id: str) -> RespondentRow:
        row = db.get(RespondentRow, respondent_id)
        if row is None or row.workspace_id != workspace_id:
            raise StoreError(f"respondent {respondent_id!r} not found in workspace {workspace_id!r}")
        return row

    def create_respondent_link(
        self, workspace_id: str, role: str, name: str = "", *, days: int = DEFAULT_DAYS
    ) -> tuple[Respondent, str]:
        """A new respondent with a link valid for `days` (1..365); returns it and the token (shown once)."""
        if type(days) is not int or not 1 <= days <= MAX_DAYS:
            raise StoreError(f"days: expected 1..{MAX_DAYS}, got {days!r}")
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        now = self._clock.now()
        row = RespondentRow(id=uuid.uuid4().hex, workspace_id=workspace_id, role=_role(role))
        row.name, row.token_hash, row.answers = _person(name), token_digest(token), None
        row.created, row.expires = now, now + timedelta(days=days)
        with self._tx() as db:
            self._workspace_row(db, workspace_id)
            db.add(row)
        return _to_respondent(row), token

    def add_respondent_answers(
        self, workspace_id: str, role: str, answers: Mapping[str, object], name: str = ""
    ) -> Respondent:
        """Answers a coach entered for a role (no link); validated like a form's answers."""
        now = self._clock.now()
        row = RespondentRow(id=uuid.uuid4().hex, workspace_id=workspace_id, role=_role(role))
        row.name, row.token_hash, row.answers = _person(name), None, _answers(answers)
        row.created, row.answered = now, now
        with self._tx() as db:
            self._workspace_row(db, workspace_id)
            db.add(row)
        return _to_respondent(row)

    def list_respondents(self, workspace_id: str) -> list[Respondent]:
        """The workspace's respondents, oldest first."""
        query = select(RespondentRow).where(RespondentRow.workspace_id == workspace_id)
        with self._tx() as db:
            rows = db.scalars(query.order_by(RespondentRow.created, RespondentRow.id))
            return [_to_respondent(r) for r in rows]

    def revoke_respondent(self, workspace_id: str, respondent_id: str) -> Respondent:
        """Close a respondent's link now (answers already given are kept)."""
        with self._tx() as db:
            row = self._respondent_row(db, workspace_id, respondent_id)
            if row.revoked is None:
                row.revoked = self._clock.now()
            return _to_respondent(row)

    def delete_respondent(self, workspace_id: str, respondent_id: str) -> None:
        """Forget a respondent and their answers."""
        with self._tx() as db:
            db.delete(self._respondent_row(db, workspace_id, respondent_id))

    def _open_row(self, db: OrmSession, token: str) -> RespondentRow | None:
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        digest = token_digest(token)
        row = db.scalars(select(RespondentRow).where(RespondentRow.token_hash == digest)).first()
        if row is None or row.token_hash is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        if row.revoked is not None or row.expires is None or self._clock.now() >= row.expires:
            return None
        return row

    def open_respondent_link(self, token: str) -> Respondent | None:
        """The respondent a live token opens; None for an unknown, expired or revoked token."""
        with self._tx() as db:
            row = self._open_row(db, token)
            return None if row is None else _to_respondent(row)

    def save_respondent_answers(self, token: str, answers: Mapping[str, object]) -> Respondent:
        """Record (or replace) the answers of the respondent `token` opens.

        Raises `InvalidLinkError` when the token opens no respondent (unknown, expired or revoked, checked
        again here); any other `StoreError` (a busy database, bad answers) is not about the link.
        """
        clean = _answers(answers)
        with self._tx() as db:
            row = self._open_row(db, token)
            if row is None:
                raise InvalidLinkError(
                    "this respondent link is not valid any more (expired, revoked or unknown)"
                )
            row.answers, row.answered = clean, self._clock.now()
            return _to_respondent(row)


def iter_answered(respondents: list[Respondent]) -> Iterator[Respondent]:
    """The respondents who have answered (revoked links keep their answers: they were given in time)."""
    return (r for r in respondents if r.answers is not None)


__all__ = ["DEFAULT_DAYS", "Respondent", "RespondentStore", "iter_answered", "token_digest"]
