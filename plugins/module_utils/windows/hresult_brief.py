# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failure said once: a short message, and the full explanation in the result's other keys.

A failed task is shown twice by ansible-core's default callback (the ``[ERROR]`` line, then the
result with its ``msg``), so ``msg`` stays one short paragraph: what failed, the HRESULT with its
name, and what to do in a few words (:func:`brief`). What the HRESULT means and the catalog's
whole advice go to ``details`` and ``what_to_do`` (:func:`explanation`), read with ``-v``,
``register`` or a callback, and are not repeated in ``msg``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.windows import hresult

# The catalog's advice is a paragraph; above this many characters the message carries the short
# form below instead (tests/unit hold every catalog entry to it).
ADVICE_LIMIT = 200

_PUBLISH_OR_PIN = (
    "Publish _vlmcs._tcp SRV records in the client's domain (role kms_publish) or set the lookup "
    "domain; or set the KMS host explicitly."
)
_ADMIN = (
    "Connect with an account in the host's local Administrators group (UAC remote restrictions "
    "apply to local accounts); WMI needs Remote Enable."
)
_SELECTORS = "Address the instance with the keys an enumeration of its class returned."

SHORT_ADVICE: Mapping[int, str] = MappingProxyType(
    {
        0xC004F074: (
            "Check that the KMS host runs and that TCP 1688 reaches it (firewall rule "
            "SPPSVC-In-TCP), or set another KMS host; events 12288 name each attempt."
        ),
        0xC004F042: (
            "Use a KMS host whose host key covers this product (a newer host key, with the host-OS "
            "update it needs), or point these clients at one."
        ),
        hresult.SL_E_VL_NOT_ENOUGH_COUNT: (
            "Nothing: clients retry every 2 hours and activate once the KMS host has counted "
            "enough machines."
        ),
        0xC004F050: (
            "Check the key and its hyphens, and that it is for this edition; a newer host key "
            "needs the host-OS update."
        ),
        0x8007232B: _PUBLISH_OR_PIN,
        0x8007251D: _PUBLISH_OR_PIN,
        0x80092328: _PUBLISH_OR_PIN,
        0x8007007B: _PUBLISH_OR_PIN,
        hresult.E_ACCESSDENIED: _ADMIN,
        0x80041003: _ADMIN,
        0x80338104: _ADMIN,
        0x8033803D: _SELECTORS,
        0x8033805B: _SELECTORS + " For a shell, reconnect and retry.",
        0x80338029: "Read the state again before retrying: the call may have finished on the host.",
    }
)


def label(entry: hresult.HResult) -> str:
    """``0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE)``, or the bare code without a name."""
    return f"{entry.hex} ({entry.symbol})" if entry.symbol else entry.hex


def advice(entry: hresult.HResult) -> str:
    """What to do, short enough for a one-paragraph message."""
    return SHORT_ADVICE.get(entry.code, entry.action)


def brief(code: int) -> str:
    """``0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE). What to do: <a sentence>``."""
    entry = hresult.explain(code)
    return f"{label(entry)}. What to do: {advice(entry)}"


def explanation(code: int | str) -> dict[str, Any]:
    """The result keys that carry what :func:`brief` leaves out: the HRESULT's name, what it
    means (``details``) and the catalog's whole advice (``what_to_do``)."""
    entry = hresult.explain(code)
    return {
        "hresult_name": entry.symbol or None,
        "details": entry.meaning,
        "what_to_do": entry.action,
    }
