"""Text out of an uploaded client document (PDF, DOCX, Markdown, plain text).

Pure functions over bytes so they can be tested without a browser; errors are `IngestError` naming the file.
The coach page and `keysmith workspace add-doc` both reach them through `ingest.upload.add_document`.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from keysmith.errors import IngestError

SUFFIXES = ("pdf", "docx", "md", "txt")


def extract_text(name: str, data: bytes) -> str:
    """The document's text; raises `IngestError` for an unknown type, an unreadable file or no text."""
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in SUFFIXES:
        raise IngestError(
            f"upload {name!r}: expected one of {', '.join(SUFFIXES)}, got {suffix or 'no suffix'!r}"
        )
    try:
        text = _READERS[suffix](data)
    except IngestError:
        raise
    except Exception as exc:  # a damaged file: say which one, not a traceback
        raise IngestError(
            f"upload {name!r}: could not read it as {suffix.upper()} ({type(exc).__name__})"
        ) from None
    if not text.strip():
        raise IngestError(f"upload {name!r}: no text found (a scanned PDF needs OCR first)")
    return text


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader  # local: only the coach's upload path pays for the import

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join(page.extract_text() or "" for page in reader.pages)


def _docx(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    return "\n\n".join(
        _docx_line(p.style.name if p.style else "", p.text) for p in document.paragraphs if p.text.strip()
    )


def _docx_line(style: str, text: str) -> str:
    """A paragraph as Markdown: Word's Title is the document title (`#`), Heading 1 a section (`##`) and
    Heading 2 or deeper a subsection (`###`), so the document is split at its own sections."""
    if style == "Title":
        return f"# {text.strip()}"
    if style.startswith("Heading"):
        level = style.removeprefix("Heading").strip()
        return f"{'##' if level in ('', '1') else '###'} {text.strip()}"
    return text


def _plain(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


_READERS = {"pdf": _pdf, "docx": _docx, "md": _plain, "txt": _plain}
