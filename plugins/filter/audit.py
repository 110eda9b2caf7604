# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 filters of the fleet report (``playbooks/audit.yml``): the model and its HTML page.

Thin wrappers over ``module_utils.audit.report`` and ``module_utils.audit.page``; the
documentation is in the sidecar ``audit_report.yml`` and ``audit_html.yml`` next to this file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.audit import page as html_page
from ansible_collections.volact.kms.plugins.module_utils.audit import report as model
from ansible_collections.volact.kms.plugins.plugin_utils.filter_errors import filter_table


def _now() -> str:
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def audit_report(
    machines: Any,
    srv: Any = None,
    generated_at: Any = None,
    dns_server: Any = None,
    title: Any = None,
    *,
    adba_objects: Any = None,
) -> dict[str, Any]:
    """The fleet report's model from each machine's kms_activation_info result, the SRV reads
    and, when given, the forest's activation objects."""
    return model.build(
        machines,
        srv,
        generated_at=str(generated_at) if generated_at else _now(),
        dns_server=str(dns_server) if dns_server else None,
        title=str(title) if title else "KMS activation audit",
        adba_objects=adba_objects,
    )


def audit_html(report: Any) -> str:
    """The fleet report's model as one self-contained HTML page."""
    return html_page.render(report)


class FilterModule:
    """volact.kms fleet report filters."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        table = {"audit_report": audit_report, "audit_html": audit_html}
        return filter_table(table)
