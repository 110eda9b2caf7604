# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Office steps of a ``kms_host_key`` run (host/office.py says what and why): before an Office
KMS host key goes in, its release's license files; after, the check that the key landed in that
release's KMS host SKU, which is then activated under its activation ID."""

from __future__ import annotations

from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.host import office
from ansible_collections.volact.kms.plugins.module_utils.host.plan import fault_message
from ansible_collections.volact.kms.plugins.module_utils.host.state import RunState
from ansible_collections.volact.kms.plugins.module_utils.licensing.office_hosts import (
    OfficeRelease,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import MethodFailed
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault


class OfficeSteps(RunState):
    """What ``office_release`` and ``license_files`` add to a run."""

    office_licenses_installed: list[str]

    def _office_licenses(self, release: OfficeRelease) -> None:
        """Make sure the release's KMS host license is on the machine before its key goes in:
        read it (one request); install ``license_files`` when it is missing; else stop, naming
        the pack. In check mode the files are planned, not sent."""
        self.office_licenses_installed = []
        if office.license_installed(self.session, release):
            return
        files = self.request.license_files
        if not files:
            raise self._stop(office.missing_message(release))
        limit = self.session.header.max_envelope_size
        for file in files:
            problem = office.envelope_problem(file, limit)
            if problem is not None:
                raise self._stop(problem)
        names = ", ".join(file.name for file in files)
        self._plan(f"install the {release.pack} license files ({names}) with InstallLicense")
        if self.check:
            return
        for file in files:
            step = f"InstallLicense of {file.name}"
            try:
                code = office.install_license(self.session, self.svc.version, file)
                if code:
                    raise MethodFailed("InstallLicense", code)
            except WsmanFault as fault:
                if not self.office_licenses_installed:
                    self.changed = False
                    self.changes.clear()
                raise self._stop(
                    fault_message(step, fault.hresult, str(fault)), fault.hresult
                ) from None
            self.office_licenses_installed.append(file.name)
        if not office.license_installed(self.session, release):
            raise self._stop(office.still_missing_message(release, files))

    def _office_product(self, release: OfficeRelease, product: Product) -> None:
        """The key must have gone into the release's KMS host SKU (its activation ID)."""
        if product.id.casefold() != release.activation_id.casefold():
            raise self._stop(office.wrong_product_message(release, product))

    def office_facts(self) -> dict[str, Any] | None:
        """The Office KMS host the task asked for, for the result (``office_release`` given)."""
        release = self.request.office
        if release is None:
            return None
        product = next(
            (p for p in self.products if p.id.casefold() == release.activation_id.casefold()),
            None,
        )
        return {
            "release": release.year,
            "name": release.name,
            "activation_id": release.activation_id.upper(),
            "pack": release.pack,
            "license_files_installed": list(getattr(self, "office_licenses_installed", [])),
            "partial_product_key": product.partial_key if product else None,
            "license_status_name": product.status_name if product and product.partial_key else None,
        }
