"""Microsoft's activation service, as far as the lab needs it: online activation of MAK, retail,
evaluation and KMS host keys.

The one rule with numbers: a CSVLK activates up to 6 hosts, and at most 10 times in all (the same
host may be reactivated); beyond that the activation fails with 0xC004C008 (kms-facts §2.7, §2.9).
MAK counts are not modelled.
"""

from __future__ import annotations

from kmslab.model.errors import HResult
from kmslab.model.keys import KeyKind, LabKey

CSVLK_MAX_HOSTS = 6
CSVLK_MAX_ACTIVATIONS = 10


class ActivationAuthority:
    def __init__(self) -> None:
        self._csvlk: dict[str, list[str]] = {}  # key -> hardware id of each activation
        self.activations: list[tuple[str, str]] = []  # (masked key, hardware id)

    def activate(self, key: LabKey, hardware_id: str) -> int:
        """0 on success, else the HRESULT the activation fails with."""
        if key.kind is KeyKind.CSVLK:
            used = self._csvlk.setdefault(key.key, [])
            new_host = hardware_id not in used
            if len(used) >= CSVLK_MAX_ACTIVATIONS or (
                new_host and len(set(used)) >= CSVLK_MAX_HOSTS
            ):
                return HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED
            used.append(hardware_id)
        self.activations.append((key.masked, hardware_id))
        return 0

    def csvlk_usage(self, key: LabKey) -> tuple[int, int]:
        """(distinct hosts, activations) used so far by a host key."""
        used = self._csvlk.get(key.key, [])
        return len(set(used)), len(used)
