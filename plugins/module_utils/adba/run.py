# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``kms_adba_object``: an activation object as desired state.

Read the forest's activation objects over LDAP (directory.py). ``present``: an object that holds
the key (its last 5 characters, ``msSPP-CSVLKPartialProductKey``) means nothing to do; otherwise
the Windows machine of the task activates the forest online with
``SoftwareLicensingService.DoActiveDirectoryOnlineActivation`` (one WS-Man request after reading
the service and Win32_NTDomain), and the object is read back over LDAP. By phone
(``activation=offline``): without a confirmation ID, ``GenerateActiveDirectoryOfflineActivationId``
gives the installation ID and the task stops there; with one,
``DepositActiveDirectoryOfflineActivationConfirmation`` takes the online call's place.
``absent``: objects with that name are deleted over LDAP; Windows is not asked anything. Check
mode reads only (generating the installation ID stores nothing).

A CSVLK has a limited number of activations, and each DoActiveDirectoryOnlineActivation that
reaches Microsoft uses one, so a success Windows reported is never followed by a second call:

- Windows writes the object on the domain controller its locator names (Win32_NTDomain,
  locator.py), which may not be ``ldap_server``. Before activating, the module reads that DC when
  it is another one: an object there that has not replicated yet means nothing to do; a DC the
  controller cannot read means the task stops before anything is sent (it could not tell an
  object still replicating from none).
- After a success, the object is read back for a few seconds; if it still does not show, the
  task reports the change (Windows said so) with a warning, not a failure.
- A call that timed out has an unknown outcome: the object is read back the same way, and if it
  does not show the task fails saying so and how to check, never "run again".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.adba.directory import (
    Directory,
    LdapSettings,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.locator import (
    DomainController,
    host_domain_controller,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    OFFLINE,
    ActivationObject,
    AdbaRequest,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import read_service
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import Spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    OperationTimedOut,
    WsmanFault,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

METHOD = "DoActiveDirectoryOnlineActivation"
IID_METHOD = "GenerateActiveDirectoryOfflineActivationId"
CID_METHOD = "DepositActiveDirectoryOfflineActivationConfirmation"


def method_of(request: AdbaRequest) -> str:
    return CID_METHOD if request.activation == OFFLINE else METHOD


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


class InstallationIdNeeded(KmsError):
    """activation=offline without confirmation_id: the installation ID to phone in."""

    def __init__(self, installation_id: str, host: str, request: AdbaRequest) -> None:
        self.installation_id = installation_id
        super().__init__(
            f"confirmation_id: no activation object holds the key yet, and activating the forest "
            f"by phone needs the confirmation ID of installation ID {installation_id} (the key "
            f"on {host}). Give that installation ID to Microsoft's licensing activation centre "
            "(by phone, as slmgr /ad-activation-get-iid shows it), then run the task again on "
            f"the same host with activation: offline and confirmation_id set to the confirmation "
            f"ID you were given; the object will be named {request.name!r}. Nothing was changed."
        )


class AdbaMethodError(KmsError):
    """DoActiveDirectoryOnlineActivation failed: the message says what to do."""

    def __init__(self, message: str, hresult: int, what_to_do: str) -> None:
        self.hresult = hresult
        self.what_to_do = what_to_do
        super().__init__(message)


def _collision(request: AdbaRequest, objects: list[ActivationObject]) -> str:
    """ERROR_OBJECT_ALREADY_EXISTS: the RDN Windows gave the new object is taken. Under an RDN of
    the CSVLK's SKU ID (the lab's variant adba_object_rdn) that is any object of the same
    product, whatever its name: a name check cannot foresee it."""
    by_sku = [o for o in objects if o.sku_id and o.rdn.casefold() == o.sku_id.casefold()]
    text = (
        "product_key: the directory already holds an activation object under the RDN Windows "
        "gave the new one. Where Windows names objects by the CSVLK's SKU ID, another key of "
        "the same product already has an object, whatever its name: the forest is already "
        f"activated for that product. (Where it names them by name, an object named "
        f"{request.name!r} exists.) "
    )
    if by_sku:
        shown = ", ".join(
            f"{o.name!r} (key ending {o.partial_product_key}, SKU ID {o.sku_id})" for o in by_sku
        )
        text += f"Objects named by SKU ID in this forest: {shown}. "
    return text + (
        "Keep that object (the product needs no second one), or remove it (state: absent with "
        "its name) and run again to put this key in its place."
    )


def method_failure(
    code: int,
    request: AdbaRequest,
    host: str,
    objects: list[ActivationObject] | None = None,
) -> AdbaMethodError:
    key = request.key.masked if request.key else "the key"
    known: dict[int, str] = {
        0x80072020: _SECOND_HOP,
        0x80070005: _RIGHTS + _SECOND_HOP,
        0x80072030: (
            "The forest has no Activation Objects container: prepare it with adprep /forestprep "
            "from Windows Server 2012 or later (Samba: samba-tool domain functionalprep)."
        ),
        0x80071392: _collision(request, objects or []),
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
        0xC004F04D: (
            "confirmation_id: Windows refused the confirmation ID "
            "(SL_E_CIDIID_INVALID_CHECK_DIGITS): check its digits, and that it was given for the "
            f"installation ID of this key on {host} (a confirmation ID fits only that one). Run "
            "the task without confirmation_id to see the installation ID again."
        ),
        0x80070057: (
            f"name: Windows refused {request.name!r}; use 1 to 40 letters, digits, blanks and "
            "- _ . ( ) only."
        ),
    }
    advice = known.get(code)
    text = advice or "See hresult, details and what_to_do."
    return AdbaMethodError(
        f"{method_of(request)} on {host} failed with 0x{code:08X}. {text}", code, advice or ""
    )


# Seconds between the reads that follow a success (7 s in all): the object is written by the
# time the method answers, but the DC read may be another one, or lag its own write briefly.
SETTLE_DELAYS = (1.0, 2.0, 4.0)
Opener = Callable[[LdapSettings], Directory]


def _holder(objects: list[ActivationObject], key: ProductKey) -> ActivationObject | None:
    return next((entry for entry in objects if entry.holds(key)), None)


@dataclass
class _Outcome:
    changed: bool
    changes: list[str]
    entry: ActivationObject | None
    objects: list[ActivationObject]
    # The object Windows reported making but no DC showed yet: what the task returns instead.
    predicted: dict[str, Any] | None = None
    read_from: Directory | None = None
    opened: list[Directory] = field(default_factory=list)


def _settle(
    directory: Directory, key: ProductKey, sleep: Callable[[float], None]
) -> tuple[ActivationObject | None, list[ActivationObject]]:
    objects = directory.objects()
    for delay in SETTLE_DELAYS:
        found = _holder(objects, key)
        if found is not None:
            return found, objects
        sleep(delay)
        objects = directory.objects()
    return _holder(objects, key), objects


def _writer_dc(
    directory: Directory, session: CimSession, host: str, open_directory: Opener
) -> tuple[DomainController | None, Directory | None]:
    """The DC Windows will write on, and a connection to it when it is not ldap_server."""
    settings = directory.settings
    dc = host_domain_controller(session)
    if dc is None or dc.same_as(settings.server_fqdn):
        return dc, None
    try:
        return dc, open_directory(settings.for_dc(dc.fqdn))
    except KmsError as error:
        raise KmsError(
            f"ldap_server: {host} writes activation objects on its domain controller {dc.shown} "
            f"(Win32_NTDomain), not on {settings.server_fqdn}, and the controller cannot read "
            f"{dc.fqdn} ({error}). An object an earlier run made there may not have replicated "
            f"to {settings.server_fqdn} yet, and activating again would use up another of the "
            f"CSVLK's activations. Set ldap_server to {dc.fqdn} (reachable from the controller "
            f"on LDAPS), or run the task against {settings.server_fqdn} itself; to look first, "
            f"run slmgr /ao-list on {host}. Nothing was sent."
        ) from None


def _predicted(request: AdbaRequest, key: ProductKey) -> dict[str, Any]:
    """The object as Windows reported making it, before any DC shows it."""
    return {
        "name": request.name,
        "dn": None,
        "activation_id": None,
        "partial_product_key": key.partial,
        "extended_pid": None,
        "kms_ids": [],
        "created": None,
    }


def _unknown(error: Exception) -> bool:
    """The call may have run on the host: WinRM's w:TimedOut, or a transport read timeout."""
    return isinstance(error, OperationTimedOut) or bool(getattr(error, "maybe_processed", False))


def outcome_unknown(method: str, host: str, dc: DomainController | None, detail: str) -> KmsError:
    where = f"against {dc.fqdn}" if dc else "against the domain controller the host uses"
    return KmsError(
        f"{method} on {host} did not answer ({detail}), and no activation object with the key "
        "shows in the directory: whether Windows activated the forest is unknown (the call "
        "contacts Microsoft and may still be running). Do not run the task again before checking: "
        f"slmgr /ao-list on {host}, or volact.kms.kms_adba_object_info {where}, a few minutes "
        "from now. If the object is there, the forest is activated and the next run changes "
        "nothing; a run while the call may still be running could use up a second of the "
        "CSVLK's activations."
    )


def _activate(
    spp: Spp, request: AdbaRequest, key: ProductKey, host: str, objects: list[ActivationObject]
) -> Exception | None:
    """Call the method; None on success, the error when its outcome is unknown."""
    try:
        if request.confirmation_id is not None:
            spp.ad_offline_deposit(key, request.confirmation_id, request.name)
        else:
            spp.ad_online_activation(key, request.name)
    except WsmanFault as fault:
        if _unknown(fault):
            return fault
        if fault.hresult is None:
            raise
        raise method_failure(fault.hresult, request, host, objects) from None
    except KmsError as error:
        if _unknown(error):
            return error
        raise
    return None


def _present(
    directory: Directory,
    session: CimSession,
    request: AdbaRequest,
    *,
    check: bool,
    host: str,
    warn: Callable[[str], None],
    open_directory: Opener,
    sleep: Callable[[float], None],
) -> _Outcome:
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
        return _Outcome(False, [], found, objects)
    taken = next((entry for entry in objects if entry.named(request.name)), None)
    if taken is not None:
        raise KmsInputError(
            "name",
            f"{request.name!r} already names the activation object {taken.dn}, which holds "
            f"another key (ending {taken.partial_product_key}).",
            "Choose another name, or remove that object first (state: absent).",
        )
    spp = Spp(session, read_service(session))
    method = method_of(request)
    if method not in spp.surface.service_methods:
        raise KmsError(
            f"{host} runs {spp.surface.name}, which has no Active Directory-Based Activation "
            f"({method} exists from Windows 8 / Windows Server 2012). Run the task against a "
            "domain-joined Windows 8 / Server 2012 or later machine; nothing was sent."
        )
    dc, writer = _writer_dc(directory, session, host, open_directory)
    try:
        return _missing(
            directory, session, request, objects=objects, spp=spp, dc=dc, writer=writer,
            check=check, host=host, warn=warn, sleep=sleep,
        )  # fmt: skip
    except BaseException:
        if writer is not None:
            writer.close()
        raise


def _missing(
    directory: Directory,
    session: CimSession,
    request: AdbaRequest,
    *,
    objects: list[ActivationObject],
    spp: Spp,
    dc: DomainController | None,
    writer: Directory | None,
    check: bool,
    host: str,
    warn: Callable[[str], None],
    sleep: Callable[[float], None],
) -> _Outcome:
    """No object on ldap_server holds the key: look on the DC Windows writes on, then activate."""
    key = request.key
    if key is None:  # _present checked it; this tells the type checker
        raise KmsInputError("product_key", "is required with state=present.", "Give the CSVLK.")
    outcome = _Outcome(False, [], None, objects, opened=[writer] if writer else [])
    source = writer or directory
    if writer is not None:
        there = writer.objects()
        pending = _holder(there, key)
        if pending is not None:
            warn(
                f"The activation object {pending.name!r} holding the key ending {key.partial} is "
                f"on {dc.fqdn if dc else 'the host DC'}, the domain controller {host} writes "
                f"on, and has not replicated to {directory.settings.server_fqdn} yet: nothing "
                "to do (activating again would use up another of the CSVLK's activations)."
            )
            outcome.entry, outcome.objects, outcome.read_from = pending, there, writer
            return outcome
    if request.activation == OFFLINE and request.confirmation_id is None:
        # Generating it stores nothing (slmgr /ad-activation-get-iid only shows it): check mode too.
        raise InstallationIdNeeded(spp.ad_offline_installation_id(key), host, request)
    outcome.changed = True
    how = "by phone (the confirmation ID)" if request.confirmation_id else "online"
    outcome.changes = [
        f"activate the forest {how} with {key.masked} as activation object {request.name!r}"
    ]
    if check:
        return outcome
    unknown = _activate(spp, request, key, host, outcome.objects)
    made, outcome.objects = _settle(source, key, sleep)
    outcome.read_from = source
    if made is not None:
        if unknown is not None:
            warn(
                f"{method_of(request)} on {host} did not answer in time, but the activation "
                f"object holding the key ending {key.partial} is in the directory: Windows "
                "finished."
            )
        outcome.entry = made
        return outcome
    if unknown is not None:
        raise outcome_unknown(method_of(request), host, dc, str(unknown).split(". ", maxsplit=1)[0])
    # Windows said it succeeded: report it, and never activate again for it.
    now = host_domain_controller(session) or dc
    where = now.fqdn if now else "a domain controller the controller does not read"
    warn(
        f"{method_of(request)} on {host} succeeded, but {source.settings.server_fqdn} shows no "
        f"activation object with the key ending {key.partial} yet: Windows wrote it on {where}, "
        "and replication has not brought it here. The forest is activated; do not run the task "
        f"again until it shows (slmgr /ao-list on {host}, or volact.kms.kms_adba_object_info "
        f"against {where}), or it may activate a second time."
    )
    outcome.predicted = _predicted(request, key)
    return outcome


def run(
    directory: Directory,
    session: CimSession,
    request: AdbaRequest,
    *,
    check_mode: bool,
    want_diff: bool,
    host: str,
    warn: Callable[[str], None],
    open_directory: Opener = Directory,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    read_from = directory
    predicted: dict[str, Any] | None = None
    if request.state == "present":
        outcome = _present(
            directory,
            session,
            request,
            check=check_mode,
            host=host,
            warn=warn,
            open_directory=open_directory,
            sleep=sleep,
        )
        try:
            changed, changes, entry, objects = (
                outcome.changed,
                outcome.changes,
                outcome.entry,
                outcome.objects,
            )
            predicted, read_from = outcome.predicted, outcome.read_from or directory
            container = read_from.container_dn
        finally:
            for opened in outcome.opened:
                opened.close()
        before = None if changed else entry
        key = request.key
        diff_after = {"name": request.name, "partial_product_key": key.partial if key else None}
        after: dict[str, Any] | None = entry.diff_view() if entry else diff_after
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
        container = directory.container_dn
    result: dict[str, Any] = {
        "changed": changed,
        "changes": changes,
        "object": entry.result() if entry else predicted,
        "objects": [item.result() for item in objects],
        "container": container,
    }
    if want_diff:
        result["diff"] = {
            "before": {"object": before.diff_view() if before else None},
            "after": {"object": after},
        }
    return result
