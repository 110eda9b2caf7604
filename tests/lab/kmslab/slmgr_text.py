"""The English text the lab's slmgr.vbs prints, rendered from SoftwareLicensingService and
SoftwareLicensingProduct rows (the model's CIM surface).

APPROXIMATE: the reference has no capture of slmgr output. What is sourced: the field names
``Name:``, ``Description:``, ``Partial Product Key:`` and the line ``License Status: Licensed``
(the lines Salt's win_license parses, kms-facts §1.3), the word "successfully" on success (the Salt
state, §1.3), the host-setting warnings (§1.9, wsman-wire §4.3), ``Error: 0x<HRESULT>`` lines whose
text restates the §2.7 meaning, and the properties each display reads (§2.6). Everything else
(other labels, their order, indentation, the date format) is the lab's plausible rendering of
slmgr's ``/dli``, ``/dlv`` and ``/xpr``. Real slmgr prints localized text (§1.9); the lab prints
English whatever the machine's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

Row = Mapping[str, Any]

LICENSE_STATUS = {
    0: "Unlicensed",
    1: "Licensed",
    2: "Initial grace period",
    3: "Additional grace period (KMS license expired or hardware out of tolerance)",
    4: "Non-genuine grace period.",
    5: "Notification",
    6: "Extended grace period",
}
# SoftwareLicensingService counters (wsman-wire §4.1), in the order slmgr lists them.
REQUEST_COUNTERS = (
    ("KeyManagementServiceTotalRequests", "Total requests received"),
    ("KeyManagementServiceFailedRequests", "Failed requests received"),
    ("KeyManagementServiceUnlicensedRequests", "Requests with License Status Unlicensed"),
    ("KeyManagementServiceLicensedRequests", "Requests with License Status Licensed"),
    ("KeyManagementServiceOOBGraceRequests", "Requests with License Status Initial grace period"),
    (
        "KeyManagementServiceOOTGraceRequests",
        "Requests with License Status License expired or Hardware out of tolerance",
    ),
    (
        "KeyManagementServiceNonGenuineGraceRequests",
        "Requests with License Status Non-genuine grace period",
    ),
    ("KeyManagementServiceNotificationRequests", "Requests with License Status Notification"),
)
# Short texts for the HRESULTs the lab produces: the meanings of kms-facts §2.7, in lab words.
ERROR_TEXT = {
    0xC004C008: "The product key has exceeded its activation limit.",
    0xC004E016: "The product key is not valid for this edition.",
    0xC004F014: "No product key is installed.",
    0xC004F015: "The license is not installed.",
    0xC004F016: "The request is not supported.",
    0xC004F025: "Access denied: the requested action requires elevated privileges.",
    0xC004F038: "The count reported by the Key Management Service (KMS) is insufficient.",
    0xC004F039: "The Key Management Service (KMS) is not enabled.",
    0xC004F041: "The Key Management Service (KMS) is not activated.",
    0xC004F042: "The specified Key Management Service (KMS) cannot be used.",
    0xC004F050: "The product key is invalid.",
    0xC004F069: "The product SKU is not found.",
    0xC004F074: "No Key Management Service (KMS) could be contacted. "
    "See the Application Event Log for more information.",
    0x80070005: "Access denied.",
    0x80070057: "The parameter is incorrect.",
    0x800705B4: "This operation returned because the timeout period expired.",
    0x8007041D: "The service did not respond to the start or control request in time.",
    0x8007232B: "DNS name does not exist.",
    0x80041008: "Invalid parameter.",
}
REBOOT_WARNING = "Warning: a KMS reboot is needed for this setting to take effect."  # §1.9
INDENT = "    "


def error_line(hresult: int) -> str:
    code = hresult & 0xFFFFFFFF
    text = ERROR_TEXT.get(code)
    return f"Error: 0x{code:08X} {text}" if text else f"Error: 0x{code:08X}"


def windows_time(moment: datetime) -> str:
    """``1/6/2025 8:00:00 AM``: the en-US short date and long time (lab time is UTC)."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year} "
        f"{hour}:{moment.minute:02d}:{moment.second:02d} {half}"
    )


def _minutes_and_days(minutes: int) -> str:
    return f"{minutes} minute(s) ({minutes // 1440} day(s))"


def _is_client(row: Row) -> bool:
    # Without ProductKeyChannel (Windows 7 and older, surfaces.py) slmgr.vbs goes by the
    # Description's VOLUME_KMSCLIENT (older-windows-office-adba §1.6).
    if "ProductKeyChannel" not in row:
        return "VOLUME_KMSCLIENT" in str(row["Description"] or "")
    return row["ProductKeyChannel"] == "Volume:GVLK"


def _is_host(row: Row) -> bool:
    return row["IsKeyManagementServiceMachine"] == 1


def remaining_lines(row: Row) -> list[str]:
    """What slmgr adds under License Status: time left, or the notification reason."""
    status = row["LicenseStatus"]
    minutes = int(row["GracePeriodRemaining"])
    if status == 1 and minutes:
        what = "Volume activation" if _is_client(row) else "Timebased activation"
        return [f"{what} expiration: {_minutes_and_days(minutes)}"]
    if status in (2, 3, 4, 6):
        return [f"Time remaining: {_minutes_and_days(minutes)}"]
    if status == 5:
        return [f"Notification Reason: 0x{int(row['LicenseStatusReason']):08X}."]
    return []


def _kms_machine(row: Row, service: Row) -> str | None:
    """The registered host: the product's own setting wins over the service's (§2.4)."""
    name = row["KeyManagementServiceMachine"] or service["KeyManagementServiceMachine"]
    if not name:
        return None
    port = row["KeyManagementServicePort"] or service["KeyManagementServicePort"] or 1688
    return f"{name}:{port}"


def _client_lines(row: Row, service: Row) -> list[str]:
    found = row["DiscoveredKeyManagementServiceMachineName"]
    registered = _kms_machine(row, service)
    lines = [
        "Key Management Service client information",
        f"{INDENT}Client Machine ID (CMID): {service['ClientMachineID']}",
    ]
    if registered:
        lines.append(f"{INDENT}Registered KMS machine name: {registered}")
    if found:
        port = row["DiscoveredKeyManagementServiceMachinePort"]
        lines.append(f"{INDENT}KMS machine name from DNS: {found}:{port}")
    elif not registered:
        lines.append(f"{INDENT}DNS auto-discovery: KMS name not available")
    caching = "enabled" if service["KeyManagementServiceHostCaching"] else "disabled"
    return [
        *lines,
        f"{INDENT}Activation interval: {row['VLActivationInterval']} minutes",
        f"{INDENT}Renewal interval: {row['VLRenewalInterval']} minutes",
        f"{INDENT}KMS host caching is {caching}",
    ]


def _host_lines(row: Row, service: Row) -> list[str]:
    publishing = "enabled" if service["KeyManagementServiceDnsPublishing"] else "disabled"
    priority = "Low" if service["KeyManagementServiceLowPriority"] else "Normal"
    return [
        "Key Management Service is enabled on this machine",
        f"{INDENT}Current count: {row['KeyManagementServiceCurrentCount']}",
        f"{INDENT}Listening on Port: {service['KeyManagementServiceListeningPort']}",
        f"{INDENT}DNS publishing {publishing}",
        f"{INDENT}KMS priority: {priority}",
        f"{INDENT}Activation interval: {row['VLActivationInterval']} minutes",
        f"{INDENT}Renewal interval: {row['VLRenewalInterval']} minutes",
        "",
        "Key Management Service cumulative requests received from clients",
        *(f"{INDENT}{label}: {row[name]}" for name, label in REQUEST_COUNTERS),
    ]


def product_lines(row: Row, service: Row, *, verbose: bool) -> list[str]:
    """One product's block of ``/dli`` (verbose False) or ``/dlv`` (verbose True)."""
    lines = [f"Name: {row['Name']}", f"Description: {row['Description']}"]
    if verbose:
        lines += [
            f"Activation ID: {row['ID']}",
            f"Application ID: {row['ApplicationID']}",
            f"Extended PID: {row['ProductKeyID']}",
        ]
        if "ProductKeyChannel" in row:  # Windows 8 and later (surfaces.py)
            lines.append(f"Product Key Channel: {row['ProductKeyChannel']}")
    lines += [
        f"Partial Product Key: {row['PartialProductKey']}",
        f"License Status: {LICENSE_STATUS.get(row['LicenseStatus'], 'Unknown')}",
        *remaining_lines(row),
    ]
    if verbose:
        lines.append(f"Remaining Windows rearm count: {service['RemainingWindowsReArmCount']}")
        if row["TrustedTime"] is not None:
            lines.append(f"Trusted time: {windows_time(row['TrustedTime'])}")
    if _is_host(row):
        lines += ["", *_host_lines(row, service)]
    elif _is_client(row) and verbose:
        lines += ["", *_client_lines(row, service)]
    return lines


def display(service: Row, rows: list[Row], *, verbose: bool) -> list[str]:
    """``/dli`` or ``/dlv`` for the selected products."""
    lines = [f"Software licensing service version: {service['Version']}", ""] if verbose else []
    for index, row in enumerate(rows):
        if index:
            lines.append("")
        lines += product_lines(row, service, verbose=verbose)
    return lines


def expiration(row: Row, now: datetime) -> list[str]:
    """``/xpr``: the product's name and when its activation or grace ends."""
    status = row["LicenseStatus"]
    end = windows_time(now + timedelta(minutes=int(row["GracePeriodRemaining"])))
    if status == 1 and not row["GracePeriodRemaining"]:
        text = "The machine is permanently activated."
    elif status == 1:
        what = "Volume activation" if _is_client(row) else "Timebased activation"
        text = f"{what} will expire {end}"
    elif status == 2:
        text = f"Initial grace period ends {end}"
    elif status in (3, 4, 6):
        text = f"{LICENSE_STATUS[status]} ends {end}"
    elif status == 5:
        text = "Windows is in Notification mode"
    else:
        text = "The machine is not activated."
    return [f"{row['Name']}:", f"{INDENT}{text}"]
