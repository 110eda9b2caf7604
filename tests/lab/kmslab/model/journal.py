"""Per-machine counters and the write log.

Every call that reaches the CIM surface is counted; every call that can change state is also
written to the log with its arguments, product keys masked to their last five characters, and its
outcome. A test proves that check mode wrote nothing by asserting the write log stayed empty.
Lab-side changes (seeding, drift) are not calls and never appear here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from kmslab.model.keys import mask_keys_in


def mask_value(value: object) -> object:
    if isinstance(value, str):
        return mask_keys_in(value)
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value


@dataclass(frozen=True)
class WriteRecord:
    seq: int
    time: datetime
    target: str  # CIM class, e.g. "SoftwareLicensingService"
    method: str
    selectors: tuple[tuple[str, str], ...]  # the instance, e.g. (("ID", "..."),)
    args: tuple[tuple[str, object], ...]  # masked
    outcome: str  # "ReturnValue=0", "HRESULT 0xC004F050 (...)", "timeout"

    def arg(self, name: str) -> object:
        return dict(self.args).get(name)


class Journal:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.writes: list[WriteRecord] = []

    def count(self, operation: str, target: str, method: str = "") -> None:
        self.calls[f"{operation} {target}.{method}" if method else f"{operation} {target}"] += 1

    def record_write(
        self,
        time: datetime,
        *,
        target: str,
        method: str,
        selectors: dict[str, str],
        params: dict[str, object],
        outcome: str,
    ) -> WriteRecord:
        args = tuple((name, mask_value(value)) for name, value in params.items())
        where = tuple((name, str(value)) for name, value in selectors.items())
        record = WriteRecord(len(self.writes) + 1, time, target, method, where, args, outcome)
        self.writes.append(record)
        return record

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def clear(self) -> None:
        self.calls.clear()
        self.writes.clear()
