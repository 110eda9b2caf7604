# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``kms_client_setup_key`` decided to do: the GVLK per product, the settings to change, and
the before/after view that diff mode shows (keys masked to the group Windows itself displays).
Data only; the decisions are in client/setup.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey, mask_key
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import WINDOWS_APP_ID, Product

if TYPE_CHECKING:
    from ansible_collections.volact.kms.plugins.module_utils.client.ospp import OsppPlan

OS_TYPES: Mapping[str, str] = {
    "OperatingSystemSKU": "uint32",
    "BuildNumber": "string",
    "ProductType": "uint32",
}
OS_WQL = f"SELECT {', '.join(OS_TYPES)} FROM Win32_OperatingSystem"


@dataclass(frozen=True)
class OsFacts:
    """``Win32_OperatingSystem``: read only when the product rows do not tell the edition."""

    sku: int | None = None
    build: int | None = None
    product_type: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OsFacts:
        build = str(row.get("BuildNumber") or "").strip()
        return cls(
            sku=row.get("OperatingSystemSKU"),
            build=int(build) if build.isdigit() else None,
            product_type=row.get("ProductType"),
        )


@dataclass(frozen=True)
class Target:
    """The GVLK a product should carry; ``entry`` is its catalog row (None: not published)."""

    key: ProductKey
    entry: gvlk.Gvlk | None

    @property
    def partial(self) -> str:
        return self.key.partial

    @property
    def label(self) -> str:
        return self.entry.label if self.entry else f"the unpublished GVLK {self.key.masked}"

    def to_dict(self) -> dict[str, Any]:
        # A published GVLK is public (Microsoft's table); anything else stays masked.
        entry = self.entry
        return {
            "family": entry.family if entry else None,
            "edition": entry.edition if entry else None,
            "key": entry.key if entry else self.key.masked,
            "published": entry is not None,
            "confirmed": entry.confirmed if entry else None,
        }


@dataclass(frozen=True)
class ProductPlan:
    """One product (Windows, or one Office product) and what to do with it."""

    kind: str  # "windows" or "office"
    product: Product | None  # the keyed row as read; None: no Windows key is installed at all
    target: Target
    install: bool
    reason: str
    application_ids: tuple[str, ...] = (WINDOWS_APP_ID,)

    @property
    def name(self) -> str:
        if self.product is not None and self.product.name:
            return self.product.name
        return f"{self.kind.title()} ({self.target.label})"

    def state(self, after: bool) -> dict[str, Any]:
        """What diff mode shows of this product; keys masked to the group Windows displays."""
        product = self.product
        if after and self.install:
            return {"channel": "Volume:GVLK", "key": mask_key(self.target.key.value)}
        if product is None:
            return {"channel": None, "key": None}
        return {
            "channel": product.channel.raw or product.channel.kind.value,
            "key": mask_key(product.partial_key) if product.partial_key else None,
        }


@dataclass(frozen=True)
class SettingChange:
    """One client setting to change; ``after`` None clears it (back to discovery / default)."""

    name: str  # a key of spp_methods.CLIENT_SETTINGS
    before: Any
    after: Any


@dataclass(frozen=True)
class Plan:
    windows: ProductPlan | None
    office: tuple[ProductPlan, ...]
    settings: tuple[SettingChange, ...]
    warnings: tuple[str, ...] = ()
    settings_before: Mapping[str, Any] = field(default_factory=dict)
    ospp: OsppPlan | None = None  # Office in OSPP: host pins and host caching (client/ospp.py)

    @property
    def products(self) -> tuple[ProductPlan, ...]:
        return ((self.windows,) if self.windows else ()) + self.office

    @property
    def installs(self) -> tuple[ProductPlan, ...]:
        return tuple(p for p in self.products if p.install)

    @property
    def changed(self) -> bool:
        return bool(self.installs or self.settings or (self.ospp and self.ospp.changed))

    def settings_after(self) -> dict[str, Any]:
        after = dict(self.settings_before)
        after.update({change.name: change.after for change in self.settings})
        return after

    def diff(self) -> dict[str, Any]:
        def view(after: bool) -> dict[str, Any]:
            shown: dict[str, Any] = {}
            if self.windows is not None:
                shown["windows"] = self.windows.state(after)
            if self.office:
                shown["office"] = {p.name: p.state(after) for p in self.office}
            shown.update(self.settings_after() if after else self.settings_before)
            if self.ospp is not None and self.ospp.changed:
                shown["ospp"] = self.ospp.view(after)
            return shown

        return {"before": view(False), "after": view(True)}
