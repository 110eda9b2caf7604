# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The task result of ``kms_client_setup_key``: facts under ``kms_client``, the Windows
``activation`` outcome, the diff, and whether the task failed (the below-threshold policy).

Nothing secret is returned: installed keys appear as the last group Windows itself shows, a
published GVLK in full (it is public), any other key masked.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.client.activation import Activation, State
from ansible_collections.volact.kms.plugins.module_utils.client.apply import Outcome, locate
from ansible_collections.volact.kms.plugins.module_utils.client.options import BelowThreshold
from ansible_collections.volact.kms.plugins.module_utils.client.plan import ProductPlan
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import advice
from ansible_collections.volact.kms.plugins.module_utils.windows.ospp import is_ospp
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product


def product_facts(product: Product | None) -> dict[str, Any] | None:
    if product is None:
        return None
    return {
        "id": product.id,
        "name": product.name,
        "license_family": product.license_family,
        "channel": product.channel.raw or product.channel.kind.value,
        "partial_product_key": product.partial_key,
        "license_status": product.license_status,
        "license_status_name": product.status_name,
        "grace_minutes": product.grace_minutes,
        # Where Office keeps this license: "spp" (SoftwareLicensingProduct) or "ospp"
        # (OfficeSoftwareProtectionProduct: Office 2010, Office 2013/2016 on Windows 7).
        "license_service": "ospp" if is_ospp(product) else "spp",
        "kms_host": product.kms_machine,  # the host pinned on this product, if any
        "kms_port": product.kms_port,
    }


def _entry(outcome: Outcome, plan: ProductPlan) -> dict[str, Any]:
    found = locate(plan, outcome.products) if not outcome.check_mode else plan.product
    activation = next((a for p, a in outcome.activations if p is plan), None)
    return {
        "product": product_facts(found or plan.product),
        "gvlk": plan.target.to_dict(),
        "converted": plan.install,
        "reason": plan.reason,
        "activation": activation.to_dict() if activation else None,
    }


def settings_facts(outcome: Outcome) -> dict[str, Any]:
    """Client settings after the run (in check mode: as they would be)."""
    service = outcome.reading.service
    facts: dict[str, Any] = {
        "kms_host": service.kms_machine,
        "kms_port": service.kms_port,
        "lookup_domain": service.lookup_domain,
        "host_caching": service.host_caching,
    }
    failed = outcome.failure is not None
    if not failed:
        facts.update(outcome.plan.settings_after())
    discovered = next(
        (p.discovered_machine for p in outcome.products if p.discovered_machine), None
    )
    port = next((p.discovered_port for p in outcome.products if p.discovered_machine), None)
    facts["discovered_host"] = discovered or service.discovered_machine
    facts["discovered_port"] = port if discovered else service.discovered_port
    return facts


def _is_problem(outcome: Outcome, activation: Activation) -> bool:
    """Whether ``activation`` fails the task; a below-threshold warning is recorded here."""
    if activation.failed:
        return True
    if activation.state is not State.BELOW_THRESHOLD:
        return False
    policy = outcome.request.below_threshold
    if policy is BelowThreshold.WARN:
        outcome.warnings.append(activation.message)
    return policy is BelowThreshold.FAIL


def _said(activation: Activation) -> str:
    """The activation's message in the task's ``msg``: a failure with an HRESULT gets what to do,
    in short (the whole advice is ``what_to_do``)."""
    if activation.state is State.FAILED and activation.hresult is not None:
        return f"{activation.message}. What to do: {advice(hresult.explain(activation.hresult))}"
    return activation.message


def build_result(outcome: Outcome, diff: bool) -> dict[str, Any]:
    plan = outcome.plan
    windows = _entry(outcome, plan.windows) if plan.windows else None
    facts: dict[str, Any] = {
        "product": windows["product"] if windows else None,
        "gvlk": windows["gvlk"] if windows else None,
        "converted": windows["converted"] if windows else None,
        "reason": windows["reason"] if windows else None,
        "office": [_entry(outcome, p) for p in plan.office],
        **settings_facts(outcome),
    }
    ospp = outcome.reading.ospp
    if ospp is not None:
        service = ospp.service.to_dict()
        if plan.ospp is not None and plan.ospp.host_caching is not None and not outcome.failure:
            service["host_caching"] = plan.ospp.host_caching[1]
        facts["ospp"] = service
    else:
        facts["ospp"] = None
    pair = outcome.activation_type
    shown_state = None if pair is None else pair[1] or pair[0]
    if shown_state is not None:
        facts.update(shown_state.facts())
    result: dict[str, Any] = {"changed": outcome.changed, "kms_client": facts}
    if windows is not None:
        result["activation"] = windows["activation"]
    if diff:
        result["diff"] = plan.diff()
        if pair is not None:
            for side, state in zip(("before", "after"), pair, strict=True):
                shown = state.facts()["activation_type"] if state else None
                result["diff"][side]["activation_type"] = shown
    problems = [a for _p, a in outcome.activations if _is_problem(outcome, a)]
    messages = [_said(a) for a in problems]
    codes = [a.hresult for a in problems if a.hresult]
    if outcome.failure is not None:
        messages.insert(0, str(outcome.failure))
        codes.insert(0, outcome.failure.hresult)
    if messages:
        code = next((c for c in codes if c), None)
        result.update(
            failed=True,
            msg=" ".join(messages),
            hresult=None if code is None else f"0x{code:08X}",
        )
    if outcome.warnings:
        result["warnings"] = list(outcome.warnings)
    return result
