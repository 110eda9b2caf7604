# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Office KMS host keys: the release's volume license files first, then the key, activated under
the release's activation ID.

Microsoft (reference/older-windows-office-adba.md §3): install the Office Volume License Pack of
each Office version on the KMS host, then install and activate that version's KMS host key; the
host SKU then lives in the host's Windows Software Protection Platform under the version's
activation ID (licensing/office_hosts.py). With ``office_release`` the module checks for that
SKU (``SoftwareLicensingProduct`` with that ID, one request, only while the key is not yet
installed). When it is missing, the ``.xrm-ms`` files of ``license_files`` go in one by one with
``SoftwareLicensingService.InstallLicense(License=<the file's text>)``, what ``slmgr /ilc`` does
(SLMGR10 2829-2915; ospp.vbs /inslic accepts only ``.xrm-ms`` files); without files the task
fails before any write, naming the pack to install. Whether a pack's installer does more than
that is not documented (§3): the SKU is read again afterwards, and a set of files that does not
bring it fails the task.

Files are read on the controller (the action plugin) and decoded as slmgr.vbs decodes them: a
UTF-16 byte order mark (FF FE) means UTF-16, EF BB BF UTF-8, anything else is read as UTF-8 (slmgr
says "ascii"; UTF-8 reads every ASCII file the same).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing.office_hosts import (
    RELEASES,
    OfficeRelease,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    PRODUCT_CLASS,
    SERVICE_CLASS,
    Product,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import escape_text
from ansible_collections.volact.kms.plugins.module_utils.wsman.messages import quote_wql
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

SUFFIX = ".xrm-ms"
# What an InstallLicense envelope carries besides the license text (headers, selectors): the
# text must leave this much room in the host's MaxEnvelopeSize (wsman-wire.md §5.1).
ENVELOPE_OVERHEAD = 4096
LICENSE_TYPES: Mapping[str, str] = {"ID": "string", "Name": "string", "ApplicationID": "string"}


@dataclass(frozen=True)
class LicenseFile:
    """One license file as the controller read it: its name (for messages) and its text."""

    name: str
    text: str


def decode_license(name: str, data: bytes) -> str:
    """The text of a license file, decoded as slmgr.vbs's GetFileEncoding does."""
    try:
        if data.startswith(b"\xff\xfe"):
            return data[2:].decode("utf-16-le")
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KmsInputError(
            "license_files",
            f"{name} is not a license file: its text is neither UTF-16 (with a byte order mark) "
            f"nor UTF-8 ({error.reason} at byte {error.start}).",
            "Give the .xrm-ms files as extracted from Microsoft's volume license pack, unchanged.",
        ) from None


def check_names(paths: Iterable[str]) -> list[str]:
    """The paths, each an ``.xrm-ms`` file (ospp.vbs /inslic: "Office licenses have an .xrm-ms
    file extension"), none twice."""
    found: list[str] = []
    for path in paths:
        text = str(path).strip()
        if not text.casefold().endswith(SUFFIX):
            raise KmsInputError(
                "license_files",
                f"{text!r} is not an .xrm-ms file; Office licenses have an .xrm-ms file "
                "extension (Microsoft's ospp.vbs).",
                "Extract the volume license pack and list its .xrm-ms files.",
            )
        if text in found:
            raise KmsInputError("license_files", f"{text!r} is listed twice.")
        found.append(text)
    return found


def read_files(paths: Iterable[str], read: Callable[[str], bytes]) -> tuple[LicenseFile, ...]:
    """Read each file with ``read`` (the controller's file access) and decode it."""
    files = []
    for path in paths:
        data = read(path)
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        files.append(LicenseFile(name, decode_license(name, data)))
    return tuple(files)


def parse_release(args: Mapping[str, Any], state: str) -> OfficeRelease | None:
    """``office_release`` checked; ``license_files`` need it (they belong to one release)."""
    year = args.get("office_release")
    files = args.get("license_files") or []
    if year is None:
        if files:
            raise KmsInputError(
                "license_files",
                "belongs to one Office release's KMS host key, and office_release is not given.",
                "Give office_release too (2010, 2013, 2016, 2019, 2021 or 2024).",
            )
        return None
    if state != "present":
        raise KmsInputError(
            "office_release",
            "applies to installing an Office KMS host key (state=present).",
            "Leave office_release and license_files out with state=absent.",
        )
    if isinstance(year, bool) or year not in RELEASES:
        choices = ", ".join(str(y) for y in sorted(RELEASES))
        raise KmsInputError("office_release", f"{year!r} is not one of {choices}.")
    return RELEASES[year]


def license_wql(release: OfficeRelease) -> str:
    """The release's KMS host SKU: present once the release's license files are installed."""
    return (
        f"SELECT {', '.join(LICENSE_TYPES)} FROM {PRODUCT_CLASS} "
        f"WHERE ID = {quote_wql(release.activation_id)}"
    )


def license_installed(session: CimSession, release: OfficeRelease) -> bool:
    return bool(session.query(license_wql(release), types=LICENSE_TYPES))


def missing_message(release: OfficeRelease) -> str:
    return (
        f"the {release.name} KMS host license is not installed on this machine (no licensing "
        f"product with the {release.name} KMS host activation ID {release.activation_id.upper()}"
        f"), so its KMS host key cannot be installed. {release.pack_advice}; then run the task "
        f"again. Nothing was changed. Microsoft lists these KMS host OSes for it: "
        f"{release.hosts}."
    )


def still_missing_message(release: OfficeRelease, files: Iterable[LicenseFile]) -> str:
    names = ", ".join(f.name for f in files)
    return (
        f"the license files ({names}) were installed, but the {release.name} KMS host license "
        f"(activation ID {release.activation_id.upper()}) is still not on this machine: are they "
        f"the .xrm-ms files of the {release.pack}? Install that pack, or extract it and give all "
        "of its .xrm-ms files."
    )


def wrong_product_message(release: OfficeRelease, product: Product) -> str:
    return (
        f"the key went into {product.name} (ID {product.id}), not the {release.name} KMS host "
        f"(activation ID {release.activation_id.upper()}): it is not an {release.name} KMS host "
        "key, so it was not activated. Give the KMS host key of the release in office_release, "
        "or the office_release of this key."
    )


def envelope_problem(file: LicenseFile, max_envelope_size: int) -> str | None:
    """Why the file cannot travel in one InstallLicense request, or None."""
    size = len(escape_text(file.text).encode("utf-8")) + ENVELOPE_OVERHEAD
    if size <= max_envelope_size:
        return None
    return (
        f"{file.name} needs an envelope of about {size // 1024 + 1} KB, more than this "
        f"connection's MaxEnvelopeSize ({max_envelope_size // 1024} KB); nothing was sent. Raise "
        "WinRM's MaxEnvelopeSizekb on the host (winrm set winrm/config "
        '@{MaxEnvelopeSizekb="1024"}) and the connection\'s max envelope size, or install the '
        "pack on the host."
    )


def install_license(session: CimSession, version: str, file: LicenseFile) -> int | None:
    """``SoftwareLicensingService.InstallLicense(License=<text>)`` (slmgr /ilc); the
    ReturnValue."""
    result = session.invoke(
        SERVICE_CLASS,
        "InstallLicense",
        {"License": file.text},
        {"Version": version},
        param_types={"License": "string"},
    )
    return result.return_value
