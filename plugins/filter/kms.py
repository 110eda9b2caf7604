# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 filters over the collection's pure core, for playbooks, roles and reports.

Each filter is a thin wrapper: the rules live in ``module_utils`` and the documentation in the
sidecar ``<filter>.yml`` files next to this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.volact.kms.plugins.module_utils.licensing import editions, keys
from ansible_collections.volact.kms.plugins.module_utils.publish import domain_list as plist
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.plugin_utils.filter_errors import filter_table

_FACT_NAMES = ("edition_id", "sku", "build", "product_type")


def gvlk(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The published GVLK for a machine, chosen from its non-localized edition facts."""
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError(
            f"gvlk: expected a dict with {', '.join(_FACT_NAMES)}, got {type(facts).__name__}."
        )
    unknown = sorted(set(facts) - set(_FACT_NAMES))
    if unknown:
        raise AnsibleFilterError(
            f"gvlk: unknown fact(s) {', '.join(unknown)}; use {', '.join(_FACT_NAMES)}."
        )
    row = editions.select_gvlk(editions.EditionFacts(**{n: facts.get(n) for n in _FACT_NAMES}))
    return {
        "product": row.product,
        "family": row.family,
        "edition": row.edition,
        "key": row.key,
        "confirmed": row.confirmed,
    }


def mask_key(key: Any) -> str:
    """A product key with only its last group visible."""
    return keys.mask_key(key)


def hresult_info(code: Any) -> dict[str, Any]:
    """What an HRESULT means and what to do about it."""
    info = hresult.explain(code)
    return {
        "code": info.code,
        "hex": info.hex,
        "signed": info.signed,
        "symbol": info.symbol,
        "meaning": info.meaning,
        "action": info.action,
        "category": info.category,
    }


def publish_list(domains: Any) -> list[str]:
    """``DnsDomainPublishList`` strings from ``[{name, priority, weight}]`` (or plain names)."""
    return plist.encode_list(plist.parse_domains(domains))


def parse_publish_list(values: Any) -> list[dict[str, Any]]:
    """``DnsDomainPublishList`` strings back to ``[{name, priority, weight}]`` (absent: 0)."""
    return [
        {"name": e.domain, "priority": e.effective_priority, "weight": e.effective_weight}
        for e in plist.decode_list(values)
    ]


def published_records(hosts: Any, home: bool = True) -> dict[str, dict[str, list[Any]]]:
    """What KMS hosts publish per domain: ``{domain: {records, optional}}`` (``home``: each host
    also publishes in its home domain; the rule for a listed home domain is in module_utils)."""
    return plist.records_by_domain(hosts, include_home=bool(home))


def srv_mismatches(expected: Any, found: Any) -> list[dict[str, Any]]:
    """The domains whose records read from DNS (``found``) differ from ``expected``."""
    return plist.srv_mismatches(expected, found)


class FilterModule:
    """volact.kms filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        table = {
            "gvlk": gvlk,
            "mask_key": mask_key,
            "hresult": hresult_info,
            "publish_list": publish_list,
            "parse_publish_list": parse_publish_list,
            "published_records": published_records,
            "srv_mismatches": srv_mismatches,
        }
        return filter_table(table)
