"""cProfile output (pstats) split by whose code it is, the standard library charged to callers.

Standard-library and built-in functions belong to whoever called them: their own time is split
among their callers in proportion to what each call cost (pstats keeps that per caller), and
passed further up while the caller is itself standard library.
"""

from __future__ import annotations

import pstats
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parties import OTHER, party, short

Func = tuple[str, int, str]


def key(func: Func) -> str:
    """``ansible/playbook/task.py post_validate``: the form step tables use."""
    return f"{short(func[0])} {func[2]}"


@dataclass
class Charged:
    """Seconds per party, and per function of ours (its own time plus the standard library's
    time charged to it)."""

    parties: Counter[str] = field(default_factory=Counter)
    ours: Counter[Func] = field(default_factory=Counter)

    def add(self, func: Func, owner: str, seconds: float) -> None:
        self.parties[owner] += seconds
        if owner == "volact.kms":
            self.ours[func] += seconds


def charge(stats: pstats.Stats, rounds: int = 60) -> Charged:
    """Own time per party, the standard library's passed to its callers.

    Time is passed up one caller level per round, all functions at once, so call cycles and
    deep stacks cost a bounded number of rounds; what is still unplaced after ``rounds`` (or has
    no caller) is "other"."""
    table: Mapping[Func, Any] = stats.stats  # type: ignore[attr-defined]
    charged = Charged()
    pending: Counter[Func] = Counter()
    for func, values in table.items():
        owner = party(func[0], func[2])
        if owner is not None:
            charged.add(func, owner, values[2])
        elif values[2]:
            pending[func] += values[2]
    for _round in range(rounds):
        if not pending:
            break
        passed: Counter[Func] = Counter()
        for func, seconds in pending.items():
            callers = table[func][4] if func in table else {}
            weights = {c: v[3] for c, v in callers.items() if c != func and v[3] > 0}
            whole = sum(weights.values())
            if not whole:
                charged.parties[OTHER] += seconds
                continue
            for caller, weight in weights.items():
                share = seconds * weight / whole
                owner = party(caller[0], caller[2])
                if owner is not None:
                    charged.add(caller, owner, share)
                else:
                    passed[caller] += share
        pending = passed
    charged.parties[OTHER] += sum(pending.values())
    return charged


def ours(stats: pstats.Stats, charged: Charged, tasks: int, top: int = 12) -> list[dict[str, Any]]:
    """Our functions that cost the most themselves, with their calls per task."""
    table: Mapping[Func, Any] = stats.stats  # type: ignore[attr-defined]
    return [
        {
            "function": f"{short(func[0])}:{func[1]} {func[2]}",
            "calls_per_task": round(table[func][1] / max(tasks, 1), 1),
            "ms_per_task": round(1000 * seconds / max(tasks, 1), 3),
        }
        for func, seconds in charged.ours.most_common(top)
    ]


def cumulative(stats: pstats.Stats) -> Counter[str]:
    """Cumulative seconds per function, keyed as :func:`key` does."""
    table: Mapping[Func, Any] = stats.stats  # type: ignore[attr-defined]
    found: Counter[str] = Counter()
    for func, values in table.items():
        found[key(func)] += values[3]
    return found


def steps(
    inclusive: Mapping[str, float], named: Sequence[tuple[str, str]], tasks: int
) -> list[dict[str, Any]]:
    """Milliseconds per task of each named step (inclusive of what it calls)."""
    return [
        {"step": label, "ms_per_task": round(1000 * inclusive.get(name, 0.0) / max(tasks, 1), 2)}
        for label, name in named
    ]


def shares(totals: Mapping[str, float]) -> dict[str, dict[str, float]]:
    whole = sum(totals.values()) or 1.0
    ordered = sorted(totals.items(), key=lambda item: -item[1])
    return {
        name: {"seconds": round(seconds, 3), "share": round(seconds / whole, 4)}
        for name, seconds in ordered
    }
