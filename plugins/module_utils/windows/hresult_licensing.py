# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HRESULT catalog, part one: success and the Software Licensing codes (SPP, KMS, MAK)."""

from __future__ import annotations

from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_entry import (
    ACTIVATION,
    FIX_ADMIN,
    KMS_HOST,
    KMS_THRESHOLD_CLIENT_OS,
    KMS_THRESHOLD_SERVER_OFFICE,
    MAK,
    PERMISSION,
    PRODUCT_KEY,
    S_OK,
    SL_E_LUA_ACCESSDENIED,
    SL_E_VL_NOT_ENOUGH_COUNT,
    SUCCESS,
    HResult,
)

# fmt: off
ENTRIES = (
    # Success: Microsoft "Common HRESULT values" (learn.microsoft.com, found with search/docs).
    HResult(S_OK, "S_OK", "The operation succeeded.", "Nothing.", SUCCESS),

    # Software Licensing: kms-facts.md §2.7 (codes, slerror.h symbols, causes) and Microsoft
    # "Resolving common activation error codes" (windowsserverdocs activation-error-codes.md).
    HResult(
        0xC004F074, "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
        "No KMS host could be contacted: every host the client tried failed or did not answer.",
        "Check that _vlmcs._tcp SRV records point at a running KMS host, that TCP 1688 is open to "
        "it (firewall rule SPPSVC-In-TCP on the host), and read the client's Application log "
        "events 12288 for the host and error of each attempt; or set the KMS host explicitly.",
        ACTIVATION,
    ),
    HResult(
        SL_E_VL_NOT_ENOUGH_COUNT, "SL_E_VL_NOT_ENOUGH_COUNT",
        "The KMS host answered, but its count of distinct machines is below the threshold "
        f"({KMS_THRESHOLD_CLIENT_OS} for client OS, {KMS_THRESHOLD_SERVER_OFFICE} for servers and "
        "volume Office). This is the normal state while KMS is being rolled out, not a fault.",
        "Let more machines contact the host (it counts distinct machines over 30 days). Clients "
        "retry by themselves every 2 hours by default and activate once the count is reached; "
        "follow progress in the host's KeyManagementServiceCurrentCount.",
        ACTIVATION,
    ),
    HResult(
        0xC004F039, "SL_E_VL_BINDING_SERVICE_NOT_ENABLED",
        "The KMS host did not answer the activation request (reported as 'KMS is not enabled').",
        "Check the network path to the KMS host: TCP 1688 (or its configured listening port) must "
        "not be blocked or filtered by a firewall.",
        ACTIVATION,
    ),
    HResult(
        0xC004F041, "SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED",
        "The KMS host that answered is not activated itself, so it activates no clients.",
        "Activate the host key (CSVLK) on the KMS host, online or by phone, then retry clients.",
        KMS_HOST,
    ),
    HResult(
        0xC004F042, "SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH",
        "The KMS host that answered cannot activate this product: its host key group does not "
        "cover it (an older host key, a Windows client host key asked for a server, or an "
        "Office-only host found first in DNS).",
        "Install a host key whose group covers this OS (a newer Windows Server host key activates "
        "all older versions), and make sure the host OS has the update needed for newer clients "
        "(to activate WS2025: KB5034765 on WS2022, KB5034768 on WS2019; WS2022: KB5003646 on "
        "WS2019, KB5003638 on WS2016); or point these clients at a host that covers them.",
        KMS_HOST,
    ),
    HResult(
        0xC004C008, "SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED",
        "Microsoft refused to activate the KMS host key: a host key activates on at most 6 "
        "computers, each at most 10 times (the first activation and 9 reactivations), and this "
        "activation would exceed one of those limits.",
        "Keep KMS on a host that already holds this key, or ask the Microsoft Licensing "
        "Activation Centers for more activations.",
        KMS_HOST,
    ),
    HResult(
        0xC004F015, "SL_E_PRODUCT_SKU_NOT_INSTALLED",
        "The license for this key is not installed. On a KMS host: the host OS does not know this "
        "host key yet, e.g. a Windows 10-era host key on Windows Server 2012 R2 without updates.",
        "Install the update the host OS needs for this host key (KB3172614 on 2012 R2 or 8.1, "
        "KB3172615 on 2012, KB3079821 on 2008 R2 or 7; older guidance: KB3086418), then install "
        "the key again.",
        KMS_HOST,
    ),
    HResult(
        0xC004F050, "SL_E_INVALID_PRODUCT_KEY",
        "The product key is invalid: a typo, dashes that are not plain hyphens, a pre-release "
        "key, or on a KMS host a host key newer than the host OS supports.",
        "Check the key and its hyphens, use the key for this exact edition and version; on a KMS "
        "host first install the host-OS update for newer host keys (e.g. KB4467695 or KB3172614 "
        "on 2012 R2, KB3172615 on 2012; older guidance: KB3058168).",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F069, "SL_E_MISMATCHED_PRODUCT_SKU",
        "No installed product matches this key: it is for another edition.",
        "Install the key for the installed edition (choose the GVLK by EditionID, never by the "
        "localized caption), or change the edition first.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004E016, "SL_E_PKEY_INVALID_CONFIG",
        "The product key is not valid for this edition.",
        "Install a key made for the installed edition and channel; for KMS, the published GVLK.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F035, "SL_E_VL_NOT_WINDOWS_SLP",
        "This machine cannot use a volume license key: it lacks the OEM BIOS marker that "
        "Windows 7-era volume upgrade licensing needs for KMS activation.",
        "Install a qualifying OS license and activate with a MAK or retail key, or by phone.",
        ACTIVATION,
    ),
    HResult(
        0xC004F06C, "SL_E_VL_INVALID_TIMESTAMP",
        "The KMS host rejected the request: the client's clock differs too much from the host's "
        "(compared in UTC, so time zones do not matter).",
        "Synchronize the client's time with the host (NTP or the domain hierarchy), then retry.",
        ACTIVATION,
    ),
    HResult(
        0xC004F014, "SL_E_PKEY_NOT_INSTALLED",
        "No product key is installed.",
        "Install a key first: the GVLK for a KMS client, or the MAK.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F00F, "SL_E_OUT_OF_TOLERANCE",
        "The hardware binding is beyond tolerance: hardware or drivers changed.",
        "KMS client: restart Windows or activate again. MAK: reactivate online or by phone.",
        ACTIVATION,
    ),
    HResult(
        SL_E_LUA_ACCESSDENIED, "SL_E_LUA_ACCESSDENIED",
        "The licensing call needs administrator rights the caller does not have.",
        FIX_ADMIN,
        PERMISSION,
    ),
    HResult(
        0xC004F051, "SL_E_BLOCKED_PRODUCT_KEY",
        "Microsoft has blocked this product key.",
        "Get a new MAK or KMS host key, install it and activate.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F009, "SL_E_GRACE_TIME_EXPIRED",
        "The grace period ended before activation; the machine is in the notification state.",
        "Activate it now (KMS or MAK); if that fails, contact the Microsoft Licensing Activation "
        "Centers.",
        ACTIVATION,
    ),
    # slerror.h (Windows SDK; SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED); the code is in
    # wsman-wire.md §1.6's list of useful values.
    HResult(
        0xC004F06B, "SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED",
        "The licensing service found it runs in a virtual machine, where KMS is not supported.",
        "Run the KMS host role on another machine, or activate this one with a MAK.",
        KMS_HOST,
    ),
    # MAK codes (kms-facts.md §2.7 list; symbols from slerror.h via Microsoft's Win32 metadata,
    # docs.rs windows-sys Win32::Security::Authentication::Identity, found with search/docs).
    HResult(
        0xC004C001, "SL_E_CHPA_PRODUCT_KEY_OUT_OF_RANGE",
        "Microsoft's activation server says the MAK is invalid.",
        "Check that it is the MAK Microsoft issued to you; if so, contact the Microsoft Licensing "
        "Activation Centers.",
        MAK,
    ),
    HResult(
        0xC004C003, "SL_E_CHPA_PRODUCT_KEY_BLOCKED",
        "Microsoft's activation server has blocked this MAK.",
        "Get a new MAK from the Microsoft Licensing Activation Centers, install it, activate.",
        MAK,
    ),
    HResult(
        0xC004C020, "SL_E_CHPA_DMAK_LIMIT_EXCEEDED",
        "The MAK has used all of its activations.",
        "Ask the Microsoft Licensing Activation Centers for more activations or use another MAK.",
        MAK,
    ),
    HResult(
        0xC004C021, "SL_E_CHPA_DMAK_EXTENSION_LIMIT_EXCEEDED",
        "The MAK's activation extension limit has been exceeded.",
        "Ask the Microsoft Licensing Activation Centers for more activations or use another MAK.",
        MAK,
    ),
    HResult(
        0xC004B100, "SL_E_SRV_GENERAL_ERROR",
        "Microsoft's activation server could not activate the computer: the MAK is not supported.",
        "Check that the MAK is the one Microsoft issued for this product; the Microsoft Licensing "
        "Activation Centers can confirm it.",
        MAK,
    ),
    HResult(
        0x8004FE21, "",
        "Windows reports it is not genuine, most often because language packs were added to an "
        "edition not licensed for them, or system files were modified or damaged.",
        "Remove the unlicensed language packs or repair the system; Microsoft's documented fix is "
        "reinstalling the operating system.",
        ACTIVATION,
    ),
)
# fmt: on
