# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a machine needs attention, and why: rules over the facts ``kms_activation_info``
gathered. Pure: facts in, a list of findings out.

Each finding has a stable ``code`` (for reports to group on), a ``severity`` (``error``: licensing
is broken or about to break; ``warning``: degraded, or will break if nothing changes), the
``subject`` it is about, a ``message``, and the HRESULT explained where one applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.activation.facts import (
    MINUTES_PER_DAY,
    hresult_info,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult

ERROR = "error"
WARNING = "warning"
# LicenseStatus values with no grace left (kms-facts.md §2.8): 0 Unlicensed, 5 Notification.
NO_GRACE = frozenset({0, 5})
SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED = 0xC004F041

_PUBLISH_FIX = (
    "Allow the KMS host to update _vlmcs._tcp in that zone (dynamic updates, or rights on the "
    "record in Active Directory), fix the domain name in DnsDomainPublishList, or create the "
    "record yourself (kms_srv_record) and turn automatic publishing off on the host."
)


def finding(
    code: str, severity: str, subject: str, message: str, error: object = None
) -> dict[str, Any]:
    return {
        "code": code,
        "severity": severity,
        "subject": subject,
        "message": message,
        "hresult": hresult_info(error),
    }


def _product_findings(product: Mapping[str, Any], grace_days: int) -> list[dict[str, Any]]:
    found = []
    name = product["name"]
    status = product["license_status_name"]
    reason = product["license_status_reason"]
    if not product["licensed"]:
        severity = ERROR if product["license_status"] in NO_GRACE else WARNING
        left = f"; grace ends {product['grace_expires']}" if product["grace_expires"] else ""
        why = f" (last error {reason})" if reason else ""
        found.append(
            finding(
                "not_activated",
                severity,
                name,
                f"{name} is not activated: status {status}{left}{why}.",
                reason,
            )
        )
    minutes = product["grace_minutes"]
    if minutes and minutes < grace_days * MINUTES_PER_DAY:
        found.append(
            finding(
                "grace_expiring",
                ERROR,
                name,
                f"{name} has {product['grace_days']} days left ({status}, until "
                f"{product['grace_expires']}), less than the {grace_days} days allowed: "
                "activate it (or renew its KMS activation) before then.",
                reason,
            )
        )
    if product["is_kms_host"] and not product["licensed"]:
        found.append(
            finding(
                "kms_host_not_activated",
                ERROR,
                name,
                f"The KMS host key of {name} is not activated, so this host refuses every client "
                f"with {hresult.explain(SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED).hex}.",
                SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED,
            )
        )
    current, required = product["current_count"], product["required_count"]
    if product["is_kms_host"] and current is not None and required and current < required:
        found.append(
            finding(
                "kms_below_threshold",
                WARNING,
                name,
                f"{name}: {hresult.below_threshold_message(current, required)}",
                hresult.SL_E_VL_NOT_ENOUGH_COUNT,
            )
        )
    return found


def _registry_findings(registry: Mapping[str, Any], is_host: bool) -> list[dict[str, Any]]:
    found = []
    if registry["problem"]:
        found.append(finding("registry_unreadable", WARNING, registry["path"], registry["problem"]))
    publish = registry["publish_list"]
    if not publish["valid"]:
        # Only a KMS host reads the list (kms-facts.md §2.2): elsewhere it is debris, not a fault.
        effect = (
            "This KMS host skips what it cannot parse, so those domains get no SRV record."
            if is_host
            else "This machine is not a KMS host, so nothing reads it; fix or delete it before "
            "it becomes one."
        )
        found.append(
            finding(
                "publish_list_invalid",
                ERROR if is_host else WARNING,
                "DnsDomainPublishList",
                f"DnsDomainPublishList cannot be used as it is: {publish['problem']} {effect}",
            )
        )
    for name, value in registry["kms_values"].items():
        if value["problem"] and name != "DnsDomainPublishList":
            found.append(
                finding("registry_value_invalid", WARNING, name, f"{name} {value['problem']}")
            )
    return found


def _event_findings(events: Mapping[str, Any], failing: Sequence[Mapping[str, Any]]) -> list:
    found = []
    if events["problem"]:
        found.append(finding("events_unavailable", WARNING, "events", events["problem"]))
    for event in failing:
        domain = event["domain"] or "an unnamed domain"
        found.append(
            finding(
                "kms_publish_failed",
                ERROR,
                domain,
                f"Publishing the KMS host's SRV record in {domain} failed (event 12293 at "
                f"{event['time']}) and has not succeeded since. {_PUBLISH_FIX}",
                event["hresult"],
            )
        )
    return found


def assess(
    facts: Mapping[str, Any], failing: Sequence[Mapping[str, Any]], grace_days: int
) -> list[dict[str, Any]]:
    """Every finding for one machine: products, KMS host, registry, events."""
    found = []
    windows = facts["windows"]
    if facts["windows_problem"]:
        found.append(
            finding("windows_product_ambiguous", ERROR, "Windows", facts["windows_problem"])
        )
    elif windows is None:
        found.append(
            finding(
                "no_windows_key",
                ERROR,
                "Windows",
                "No Windows product key is installed (no SoftwareLicensingProduct row of Windows "
                "has a partial key): install one, for a KMS client its GVLK.",
            )
        )
    for product in [windows, *facts["office"]]:
        if product is not None:
            found += _product_findings(product, grace_days)
    found += _registry_findings(facts["registry"], bool(facts["is_kms_host"]))
    found += _event_findings(facts["events"], failing)
    return found
