"""Helpers shared by the ingest, retrieval and Chroma-server tests (not a test module)."""

from __future__ import annotations

import shutil
from pathlib import Path

from chromadb.api.types import Documents
from chromadb.api.types import Embeddings as ChromaEmbeddings

from keysmith.config import Settings
from keysmith.retrieval.functions import LocalMiniLMEmbeddingFunction

REPO = Path(__file__).resolve().parents[1]
KNOWLEDGE = REPO / "knowledge"
LABELLED = REPO / "evals" / "datasets" / "retrieval.yaml"


class CountingFunction(LocalMiniLMEmbeddingFunction):
    """The real local model, counting what it embeds (same Chroma name, so collections accept it)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        self.texts.extend(input)
        return super().__call__(input)


def settings_for(knowledge_dir: Path, data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own folders, no .env, nothing from the environment."""
    return Settings(knowledge_dir=knowledge_dir, data_dir=data_dir, **overrides)  # type: ignore[arg-type]


def page(page_id: str, title: str, sections: dict[str, str], kind: str = "concept", intro: str = "") -> str:
    """A knowledge page's text with valid front matter."""
    parts = [
        "---",
        f"id: {page_id}",
        f'title: "{title}"',
        f"kind: {kind}",
        "related_variables: [governance]",
        "source: framework",
        "---",
        intro,
    ]
    for heading, text in sections.items():
        parts += ["", f"## {heading}", "", text]
    return "\n".join(parts) + "\n"


def write_small_knowledge(directory: Path) -> Path:
    """Two small pages on clearly different topics, beside a copy of the real framework data."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(KNOWLEDGE / "framework", directory / "framework", dirs_exist_ok=True)
    (directory / "governance-vacuum.md").write_text(
        page(
            "governance-vacuum",
            "Governance Vacuum",
            {
                "What it is": "Nobody owns the AI system once the pilot team leaves; there are no rules for "
                "monitoring, data quality, bias, access or incidents.",
                "What helps": "Name an owner and write the minimum rules before the next rollout wave.",
            },
            kind="stall_reason",
        ),
        encoding="utf-8",
    )
    (directory / "economics-shift.md").write_text(
        page(
            "economics-shift",
            "Economics Shift",
            {
                "What it is": "Compute, data engineering and operations costs grow at production scale, and "
                "the return that looked good in the pilot disappears.",
                "What helps": "Rebuild the business case at full volume with every running cost.",
            },
            kind="stall_reason",
        ),
        encoding="utf-8",
    )
    return directory
