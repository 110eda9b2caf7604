# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""License channels of an installed product key, and whether to convert the machine to KMS.

The channel comes from SoftwareLicensingProduct.ProductKeyChannel (``Volume:MAK``...) or, on older
Windows without that property, from the channel token in Description (``VOLUME_MAK channel``).
Only these non-localized tokens are matched (reference/kms-facts.md §2.8, §3.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class ChannelKind(Enum):
    RETAIL = "retail"
    OEM = "oem"
    MAK = "mak"
    GVLK = "gvlk"  # KMS client setup key: already a KMS client
    CSVLK = "csvlk"  # KMS host key
    EVALUATION = "evaluation"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LicenseChannel:
    kind: ChannelKind
    raw: str  # the text the kind was read from, as the host gave it ("" when nothing was given)
    oem_kind: str | None = None  # DM, SLP, NONSLP, COA... for OEM channels
    source: str = ""  # "ProductKeyChannel", "Description" or "" when neither told the kind


@dataclass(frozen=True)
class Decision:
    convert: bool
    reason: str


# ProductKeyChannel values seen in practice (§2.8), compared case-insensitively.
_PRODUCT_KEY_CHANNELS = {
    "retail": ChannelKind.RETAIL,
    "volume:mak": ChannelKind.MAK,
    "volume:gvlk": ChannelKind.GVLK,
    "volume:csvlk": ChannelKind.CSVLK,
}
# Upper-case channel tokens inside Description, e.g. "Windows(R) Operating System, VOLUME_MAK
# channel" or "... VOLUME_KMS_2012-R2_WIN10 channel" on a KMS host (§2.8).
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Z][A-Z0-9_-]*[A-Z0-9](?![A-Za-z0-9_-])")


def _from_product_key_channel(text: str) -> LicenseChannel | None:
    folded = text.strip().casefold()
    if folded in _PRODUCT_KEY_CHANNELS:
        return LicenseChannel(_PRODUCT_KEY_CHANNELS[folded], text, None, "ProductKeyChannel")
    if "eval" in folded.split(":"):
        # UNCONFIRMED: evaluation installs are reported as e.g. "Retail:TB:Eval"; treat any
        # colon-separated EVAL part as evaluation so it is never mistaken for Retail.
        return LicenseChannel(ChannelKind.EVALUATION, text, None, "ProductKeyChannel")
    if folded.startswith("oem:") and len(folded) > len("oem:"):
        sub = text.strip()[len("oem:") :].upper()
        return LicenseChannel(ChannelKind.OEM, text, sub, "ProductKeyChannel")
    return None


# Office MAK licenses describe themselves as "Office 16, RETAIL(MAK) channel" (public ospp.vbs
# output; tests/lab/kmslab/model/office_licenses.py): a MAK, not the RETAIL token it starts with.
_RETAIL_MAK_RE = re.compile(r"(?<![A-Za-z0-9_-])RETAIL\(MAK\)")


def _from_description(text: str) -> LicenseChannel | None:
    if _RETAIL_MAK_RE.search(text):
        return LicenseChannel(ChannelKind.MAK, text, None, "Description")
    for token in _TOKEN_RE.findall(text):
        kind: ChannelKind | None = None
        sub = None
        if token == "VOLUME_KMSCLIENT":
            kind = ChannelKind.GVLK
        elif token == "VOLUME_KMS" or token.startswith("VOLUME_KMS_"):
            kind = ChannelKind.CSVLK  # host key channels: VOLUME_KMS_2012-R2_WIN10 and the like
        elif token == "VOLUME_MAK":
            kind = ChannelKind.MAK
        elif token == "RETAIL":
            kind = ChannelKind.RETAIL
        elif token.startswith("OEM_") and len(token) > len("OEM_"):
            kind, sub = ChannelKind.OEM, token[len("OEM_") :]
        elif token == "TIMEBASED_EVAL":  # UNCONFIRMED token (§2.8)
            kind = ChannelKind.EVALUATION
        if kind is not None:
            return LicenseChannel(kind, text, sub, "Description")
    return None


def parse_channel(product_key_channel: object, description: object) -> LicenseChannel:
    """The license channel from ProductKeyChannel, else from Description; UNKNOWN if neither says.

    Never raises: anything that is not text counts as missing.
    """
    pkc = product_key_channel if isinstance(product_key_channel, str) else ""
    desc = description if isinstance(description, str) else ""
    found = (_from_product_key_channel(pkc) if pkc.strip() else None) or _from_description(desc)
    if found is not None:
        return found
    return LicenseChannel(ChannelKind.UNKNOWN, pkc.strip() or desc.strip())


def conversion_needed(channel: LicenseChannel) -> Decision:
    """Whether installing a GVLK is what turns this product into a KMS client."""
    shown = f" ({channel.raw.strip()[:80]})" if channel.raw.strip() else ""
    kind = channel.kind
    if kind is ChannelKind.GVLK:
        return Decision(False, f"a KMS client setup key (GVLK) is already installed{shown}.")
    if kind in (ChannelKind.RETAIL, ChannelKind.OEM, ChannelKind.MAK):
        name = {ChannelKind.RETAIL: "a retail", ChannelKind.OEM: "an OEM", ChannelKind.MAK: "a MAK"}
        return Decision(
            True, f"{name[kind]} key is installed{shown}; installing the GVLK converts it."
        )
    if kind is ChannelKind.CSVLK:
        return Decision(
            False,
            f"this machine is a KMS host{shown}: installing a GVLK would remove its host key "
            "(CSVLK). To retire the host, use kms_host_key with state=absent first.",
        )
    if kind is ChannelKind.EVALUATION:
        return Decision(
            False,
            f"an evaluation license is installed{shown}; evaluation editions cannot be KMS "
            "clients until the edition is converted (see the edition check).",
        )
    return Decision(
        False,
        f"the license channel is not known{shown or ' (no ProductKeyChannel or Description)'}; "
        "nothing is converted without knowing what is installed.",
    )


# SoftwareLicensingProduct.LicenseStatus (§2.8, sppwmi softwarelicensingproduct.md).
LICENSE_STATUS: dict[int, str] = {
    0: "Unlicensed",
    1: "Licensed",
    2: "OOBGrace",
    3: "OOTGrace",
    4: "NonGenuineGrace",
    5: "Notification",
    6: "ExtendedGrace",
}


def license_status_name(code: object) -> str:
    """Name of a LicenseStatus code; ``Unknown(<code>)`` for anything else. Never raises."""
    if isinstance(code, int) and not isinstance(code, bool) and code in LICENSE_STATUS:
        return LICENSE_STATUS[code]
    return f"Unknown({code!r})" if isinstance(code, int) else "Unknown"
