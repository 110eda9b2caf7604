# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``kms_adba_object``: an activation object as desired state.

Read the forest's activation objects over LDAP (directory.py). ``present``: an object that holds
the key (its last 5 characters, ``msSPP-CSVLKPartialProductKey``) means nothing to do; otherwise
the Windows machine of the task activates the forest online with
``SoftwareLicensingService.DoActiveDirectoryOnlineActivation`` (one WS-Man request after reading
the service), and the object is read back over LDAP. ``absent``: objects with that name are
deleted over LDAP; Windows is not asked anything. Check mode reads only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.adba.directory import Directory
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    ActivationObject,
    AdbaRequest,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import read_service
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import Spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

METHOD = "DoActiveDirectoryOnlineActivation"
_SECOND_HOP = (
    "Windows could not pass the task's credentials on to a domain controller (the second hop): "
    "a WinRM logon with NTLM, or Kerberos without delegation, cannot reach another machine. "
    "Run the task against a domain controller of the forest (any domain: the configuration "
    "partition is writable on every one), or connect with CredSSP (ansible_winrm_transport: "
    "credssp) or with Kerberos and delegation (ansible_winrm_kerberos_delegation: true), as an "
    "Enterprise Admin; both put that account's credentials on the host."
)
_RIGHTS = (
    "Creating activation objects needs write access to the Activation Objects container: an "
    "account in Enterprise Admins (the container grants it; setting up ADBA changes forest-wide "
    "settings), or a group delegated on it. If the account is one, this is the second hop: "
)


class AdbaMethodError(KmsError):
    """DoActiveDirectoryOnlineActivation failed: the message says what to do."""

    def __init__(self, message: str, hresult: int, what_to_do: str) -> None:
        self.hresult = hresult
        self.what_to_do = what_to_do
        super().__init__(message)


def method_failure(code: int, request: AdbaRequest, host: str) -> AdbaMethodError:
    key = request.key.masked if request.key else "the key"
    known: dict[int, str] = {
        0x80072020: _SECOND_HOP,
        0x80070005: _RIGHTS + _SECOND_HOP,
        0x80072030: (
            "The forest has no Activation Objects container: prepare it with adprep /forestprep "
            "from Windows Server 2012 or later (Samba: samba-tool domain functionalprep)."
        ),
        0x80071392: (
            f"name: an object named {request.name!r} already exists in the directory; choose "
            "another name, or remove that object first (state: absent)."
        ),
        0x8007054B: (
            f"{host} is not a member of a domain of the forest, or cannot find a domain "
            "controller: run the task against a domain-joined Windows 8 / Server 2012 or later."
        ),
        0xC004F050: (
            f"product_key: Windows refused {key}: give the KMS host key (CSVLK) of your volume "
            "license agreement, for a product this machine's Windows knows (an Office CSVLK needs "
            "that Office version's volume license pack installed on the machine first)."
        ),
        0xC004F015: (
            f"product_key: {host} has no license for {key}: run the task on a machine of that "
            "Windows release or later, or install the update or volume license pack it needs."
        ),
        0xC004C008: (
            f"product_key: {key} has used up its activations; ask Microsoft's licensing "
            "activation centre for more."
        ),
        0x80070057: (
            f"name: Windows refused {request.name!r}; use 1 to 40 letters, digits, blanks and "
            "- _ . ( ) only."
        ),
    }
    advice = known.get(code)
    text = advice or "See hresult, details and what_to_do."
    return AdbaMethodError(
        f"{METHOD} on {host} failed with 0x{code:08X}. {text}", code, advice or ""
    )


def _holder(objects: list[ActivationObject], key: ProductKey) -> ActivationObject | None:
    return next((entry for entry in objects if entry.holds(key)), None)


def _present(
    directory: Directory,
    session: CimSession,
    request: AdbaRequest,
    *,
    check: bool,
    host: str,
    warn: Callable[[str], None],
) -> tuple[bool, list[str], ActivationObject | None, list[ActivationObject]]:
    key = request.key
    if key is None:
        raise KmsInputError("product_key", "is required with state=present.", "Give the CSVLK.")
    objects = directory.objects()
    found = _holder(objects, key)
    if found is not None:
        if not found.named(request.name):
            warn(
                f"The activation object {found.name!r} ({found.dn}) already holds the key "
                f"ending {key.partial}, so no object named {request.name!r} was made; an "
                "activation object cannot be renamed: remove it (state: absent) and run again "
                "to change the name."
            )
        return False, [], found, objects
    taken = next((entry for entry in objects if entry.named(request.name)), None)
    if taken is not None:
        raise KmsInputError(
            "name",
            f"{request.name!r} already names the activation object {taken.dn}, which holds "
            f"another key (ending {taken.partial_product_key}).",
            "Choose another name, or remove that object first (state: absent).",
        )
    spp = Spp(session, read_service(session))
    if METHOD not in spp.surface.service_methods:
        raise KmsError(
            f"{host} runs {spp.surface.name}, which has no Active Directory-Based Activation "
            f"({METHOD} exists from Windows 8 / Windows Server 2012). Run the task against a "
            "domain-joined Windows 8 / Server 2012 or later machine; nothing was sent."
        )
    changes = [
        f"activate the forest online with {key.masked} as activation object {request.name!r}"
    ]
    if check:
        return True, changes, None, objects
    try:
        spp.ad_online_activation(key, request.name)
    except WsmanFault as fault:
        if fault.hresult is None:
            raise
        raise method_failure(fault.hresult, request, host) from None
    objects = directory.objects()
    made = _holder(objects, key)
    if made is None:
        raise KmsError(
            f"{METHOD} on {host} succeeded, but {directory.settings.server} shows no activation "
            f"object with the key ending {key.partial} yet: Windows wrote to another domain "
            "controller and replication has not reached this one. Run the task again later, or "
            "point ldap_server at the domain controller the machine uses."
        )
    return True, changes, made, objects


def run(
    directory: Directory,
    session: CimSession,
    request: AdbaRequest,
    *,
    check_mode: bool,
    want_diff: bool,
    host: str,
    warn: Callable[[str], None],
) -> dict[str, Any]:
    if request.state == "present":
        changed, changes, entry, objects = _present(
            directory, session, request, check=check_mode, host=host, warn=warn
        )
        before = None if changed else entry
        key = request.key
        predicted = {"name": request.name, "partial_product_key": key.partial if key else None}
        after: dict[str, Any] | None = entry.diff_view() if entry else predicted
    else:
        objects = directory.objects()
        doomed = [item for item in objects if item.named(request.name)]
        changed = bool(doomed)
        changes = [f"remove the activation object {item.dn}" for item in doomed]
        if doomed and not check_mode:
            for item in doomed:
                directory.delete(item)
            objects = directory.objects()
        entry, before, after = None, (doomed[0] if doomed else None), None
    result: dict[str, Any] = {
        "changed": changed,
        "changes": changes,
        "object": entry.result() if entry else None,
        "objects": [item.result() for item in objects],
        "container": directory.container_dn,
    }
    if want_diff:
        result["diff"] = {
            "before": {"object": before.diff_view() if before else None},
            "after": {"object": after},
        }
    return result
