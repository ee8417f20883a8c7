"""Composer answers about framework content Keysmith holds only in part: the steps and the archetypes.

The framework has seven process steps (two are known by name) and fourteen solution archetypes (four are
known). These answers give what is held, cited, and say plainly what is not, citing Keysmith's limits page;
they never name or describe a step or archetype the data does not hold. Questions that ask for what is not
held are marked `abstained`.
"""

from __future__ import annotations

from keysmith.composer import frames
from keysmith.composer.frames import Draft
from keysmith.composer.routing import Route
from keysmith.framework import Framework, ProcessStep
from keysmith.text.numbers import ordinal_word
from keysmith.tools import Toolbox

_FOLLOW_UPS = ["What is HD Vision?", "Which archetypes does Keysmith know?", "Start the self-assessment"]


def _markers(toolbox: Toolbox, query: str, kind: str | None = None, page_id: str = "") -> list[int]:
    """Markers of the passages found for `query`, those of knowledge page `page_id` first."""
    args: dict[str, str] = {"query": query[:400]}
    if kind:
        args["kind"] = kind
    result = toolbox.call("search_framework", **args)
    markers: list[int] = result.data["markers"] if result.ok else []
    if page_id:
        own = [m for m in markers if toolbox.passages[m].id.startswith(f"{page_id}#")]
        markers = own + [m for m in markers if m not in own]
    return markers


def limits_cite(toolbox: Toolbox, about: str) -> str:
    """A citation of Keysmith's limits page (what it does not hold), or "" if the index has none."""
    return frames.cite(_markers(toolbox, about, kind="limits")[:1])


def _known_steps(framework: Framework) -> str:
    named = [f"{s.name} (the {ordinal_word(s.number)} step)" for s in framework.process_steps]
    return frames.join_words(named)


def _bridge_line(framework: Framework, toolbox: Toolbox) -> str:
    names = [f"**{b.name}**" for b in framework.bridge_steps]
    cite = frames.cite(_markers(toolbox, "the steps from pilot to production", kind="bridge_step")[:1])
    return (
        f"Separately, the framework describes {frames.count_word(len(names))} steps from pilot to "
        "production, "
        f"which Keysmith does hold: {frames.join_words(names)}{cite}."
    )


def _known_step(step: ProcessStep, framework: Framework, toolbox: Toolbox) -> Draft:
    markers = _markers(
        toolbox, f"{step.name}: {step.summary}", kind="process_step", page_id=step.knowledge_id
    )
    lead = frames.lead_sentences(toolbox.passages[markers[0]].text, limit=3) if markers else step.summary
    total = frames.count_word(framework.process_step_total)
    text = (
        f"**{step.name}.** {lead}{frames.cite(markers[:1])}\n\n"
        f"Of the {total} steps, the sources Keysmith holds name only these: {_known_steps(framework)}."
    )
    return Draft(text, follow_ups=[f"How does {step.name} apply to our stalled rollout?", *_FOLLOW_UPS[1:]])


def step_answer(route: Route, toolbox: Toolbox, framework: Framework) -> Draft:
    """Answer about the framework's process steps: a known step, an unknown one, or all of them."""
    total = framework.process_step_total
    if route.intent == "known_step":
        step = next(s for s in framework.process_steps if str(s.number) == route.detail)
        return _known_step(step, framework, toolbox)
    held = frames.count_word(len(framework.process_steps))
    known = (
        f"The framework's process has {frames.count_word(total)} steps, but the sources Keysmith holds name "
        f"only {held} of them: {_known_steps(framework)}"
    )
    if route.detail.isdigit() and int(route.detail) > total:
        opening = f"The framework's process has {frames.count_word(total)} steps, so there is no such step."
    elif route.detail.isdigit():
        opening = (
            f"{frames.NOT_HELD} {known}. What the {ordinal_word(int(route.detail))} step is called and "
            "what "
            "it asks you to do are not in it."
        )
    elif route.detail:
        opening = (
            f'Keysmith\'s knowledge has no step called "{route.detail.title()}". {frames.NOT_HELD} {known}.'
        )
    else:
        opening = f"{known}. The names of the other steps are not in it. {frames.NOT_HELD}"
    limits = limits_cite(toolbox, "the seven-step process: which steps are known")
    text = f"{opening}{limits}\n\n{_bridge_line(framework, toolbox)}"
    return Draft(text, abstained=True, follow_ups=_FOLLOW_UPS)


def archetype_answer(route: Route, toolbox: Toolbox, framework: Framework) -> Draft:
    """Answer about the solution archetypes: one known, one not held, or the list."""
    if route.intent == "archetype":
        return _one_archetype(route.detail, toolbox, framework)
    listing = toolbox.call("list_archetypes").data
    total, held = listing["total"], len(listing["known"])
    rows = []
    for archetype in listing["known"]:
        described = toolbox.call("describe_archetype", archetype_id=archetype.id)
        rows.append(
            f"- **{archetype.name}**: {archetype.when_it_fits}{frames.cite(described.data['markers'][:1])}"
        )
    limits = limits_cite(toolbox, "solution archetypes: only four of the fourteen are known")
    names = frames.join_words([a.name for a in listing["known"]])
    if route.intent == "unknown_archetype":
        asked = route.detail.title()
        lead = (
            f'Keysmith does not hold an archetype called "{asked}". {frames.NOT_HELD} The framework has '
            f"{total} solution archetypes, and the sources Keysmith holds name only {held}: {names}{limits}. "
            "The other "
            f'{total - held} are not in its knowledge, so it cannot say whether "{asked}" is one of them.'
        )
        return Draft(lead, abstained=True, follow_ups=_archetype_follow_ups(framework))
    not_held = route.detail == "not_held"
    lead = (
        f"The framework has {total} solution archetypes, a menu of strategic options. "
        f"The sources Keysmith holds name only {held} of them, each with what it means in an AI rollout:"
    )
    tail = (
        f"The other {total - held} are not in Keysmith's knowledge, so it will not name or guess "
        f"them{limits}."
    )
    if not_held:
        lead = f"{frames.NOT_HELD} {lead}"
    text = "\n\n".join([lead, "\n".join(rows), tail])
    return Draft(text, abstained=not_held, follow_ups=_archetype_follow_ups(framework))


def _one_archetype(archetype_id: str, toolbox: Toolbox, framework: Framework) -> Draft:
    described = toolbox.call("describe_archetype", archetype_id=archetype_id)
    archetype = described.data["archetype"]
    cite = frames.cite(described.data["markers"][:1])
    gaps = frames.join_words([framework.variable(v).name.lower() for v in archetype.gap_variables], "or")
    moves = "\n".join(f"- {move}" for move in archetype.first_moves)
    text = (
        f"**{archetype.name}** is one of the framework's solution archetypes. "
        f"{archetype.when_it_fits}{cite}\n\nIt is the move to consider when {gaps} is the weak spot.\n\n"
        f"First moves Keysmith suggests (Keysmith's own advice, not the framework's words):\n{moves}"
    )
    return Draft(text, follow_ups=_archetype_follow_ups(framework, exclude=archetype.id))


def _archetype_follow_ups(framework: Framework, exclude: str = "") -> list[str]:
    others = [a.name for a in framework.archetypes if a.id != exclude][:2]
    return [f"What is the {name} archetype?" for name in others] + ["Start the self-assessment"]


def limits_answer(question: str, toolbox: Toolbox) -> Draft:
    """Framework material Keysmith knows exists but does not hold (the Clarity Worksheet, the criteria)."""
    markers = _markers(toolbox, question, kind="limits")
    detail = ""
    if markers:
        detail = (
            f" {frames.lead_sentences(toolbox.passages[markers[0]].text, limit=2)}{frames.cite(markers[:1])}"
        )
    text = f"{frames.NOT_HELD}{detail}\n\n{frames.CAN_DO}"
    return Draft(text, abstained=True, follow_ups=_FOLLOW_UPS)
