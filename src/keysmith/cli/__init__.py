"""The `keysmith` command: one subcommand per job, each in `keysmith.cli.<name>`.

Every subcommand module exposes `register(subparsers)`, which adds its parser and sets `handler`
(a function taking the parsed namespace and returning an exit code). A `KeysmithError` becomes one line on
stderr and exit code 2; nothing a user can cause ends in a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence

from keysmith.cli import (
    app_cmd,
    ask,
    assess,
    eval_cmd,
    framework_cmd,
    index,
    report,
    score,
    search,
    workspace,
)
from keysmith.errors import KeysmithError

_COMMANDS = (index, search, framework_cmd, score, ask, assess, report, eval_cmd, app_cmd, workspace)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (used by `main` and by tests)."""
    parser = argparse.ArgumentParser(
        prog="keysmith",
        description="Why did the AI pilot work and the rollout stall? Ask, assess, score and report.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 a failed check, 2 bad input or configuration)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeysmithError as exc:
        print(f"keysmith: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("keysmith: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, and keep Python from complaining again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def console() -> None:
    """The `keysmith` command: `main`, then exit at once even if a stopped model turn left work behind.

    A model turn stopped at its budget (KEYSMITH_TURN_BUDGET) leaves its request running in a worker thread;
    at exit Python would wait for the thread pools that request uses until a slow local server finishes
    (minutes). The answer is printed and every store write is committed by then, so nothing is lost by
    leaving without that wait. In-process callers (tests) use `main`, which never exits the process.
    """
    code = main()
    if any(t.name == "keysmith-turn" and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
