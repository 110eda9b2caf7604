"""Microsoft's activation service, as far as the lab needs it: online activation of MAK, retail,
evaluation and KMS host keys.

The one rule with numbers: a CSVLK activates up to 6 hosts, and each of them at most 10 times
(the first activation and 9 reactivations); beyond that the activation fails with 0xC004C008.
Sources: kms-facts §2.9 ("activates up to 6 hosts; the same host can be reactivated 9 more times
(10 total)"), §2.7 (0xC004C008), and Microsoft's Vista / Server 2008 volume license key FAQ ("A KMS
key can activate six KMS hosts with 10 activations per host", public copy on
windows2008serveradmintools.blogspot.com, 2008-05). MAK counts are not modelled.
"""

from __future__ import annotations

from kmslab.model.errors import HResult
from kmslab.model.keys import KeyKind, LabKey

CSVLK_MAX_HOSTS = 6
CSVLK_MAX_ACTIVATIONS_PER_HOST = 10  # the first activation and 9 reactivations


class ActivationAuthority:
    def __init__(self) -> None:
        self._csvlk: dict[str, list[str]] = {}  # key -> hardware id of each activation
        self.activations: list[tuple[str, str]] = []  # (masked key, hardware id)

    def activate(self, key: LabKey, hardware_id: str) -> int:
        """0 on success, else the HRESULT the activation fails with."""
        if key.kind is KeyKind.CSVLK:
            used = self._csvlk.setdefault(key.key, [])
            new_host = hardware_id not in used
            if (new_host and len(set(used)) >= CSVLK_MAX_HOSTS) or (
                used.count(hardware_id) >= CSVLK_MAX_ACTIVATIONS_PER_HOST
            ):
                return HResult.SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED
            used.append(hardware_id)
        self.activations.append((key.masked, hardware_id))
        return 0

    def confirm(self, key: LabKey, installation_id: str, forest: str) -> str | None:
        """The activation centre on the phone: counts the activation of ``key`` for ``forest``
        (like an online one) and gives the confirmation ID of ``installation_id``; None when
        the key has no activation left (adba_offline.py has the lab's rule)."""
        from kmslab.model.adba_offline import confirmation_for  # noqa: PLC0415 (it imports us)

        if self.activate(key, f"forest:{forest}"):
            return None
        return confirmation_for(installation_id)

    def csvlk_usage(self, key: LabKey) -> tuple[int, int]:
        """(distinct hosts, activations) used so far by a host key."""
        used = self._csvlk.get(key.key, [])
        return len(set(used)), len(used)
