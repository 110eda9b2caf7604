# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XML for CIM instances, method outputs and endpoint references."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from . import names as ns
from .cim import NULL_ARRAY_NIL, Property, element_xml
from .provider import Instance, MethodResult


def _sorted(instance: Instance) -> list[Property]:
    # Windows writes properties in ordinal order (wsman-wire §1.3 note, §6 "alphabetical"); the
    # MSFT_WmiError capture puts error_Code after ProbableCauseDescription: upper case first.
    return sorted(instance.properties, key=lambda prop: prop.name)


def instance_xml(class_uri: str, instance: Instance, null_array: str = NULL_ARRAY_NIL) -> str:
    """``<p:Class xmlns:p=<class URI> ... xsi:type="p:Class_Type">`` (wsman-wire §1.2, §1.5);
    ``null_array``: the variant of that name (``cim.element_xml``)."""
    name = instance.class_name
    props = "".join(element_xml("p", prop, null_array) for prop in _sorted(instance))
    return (
        f'<p:{name} xmlns:p="{class_uri}" xmlns:cim="{ns.CIM_COMMON}" xmlns:xsi="{ns.XSI}"'
        f' xsi:type="p:{name}_Type">{props}</p:{name}>'
    )


def output_xml(
    resource_uri: str, method: str, result: MethodResult, null_array: str = NULL_ARRAY_NIL
) -> str:
    """``<p:Method_OUTPUT>``: out params then ReturnValue last (captures winrb_invoke_1.xml and
    openwsman_EnumKey.xml, including their namespace declaration order). Array out parameters
    that are NULL or empty follow the ``null_array`` variant (``cim.element_xml``)."""
    body = "".join(element_xml("p", prop, null_array) for prop in result.out_params)
    body += element_xml("p", Property("ReturnValue", result.return_type, result.return_value))
    return (
        f'<p:{method}_OUTPUT xmlns:xsi="{ns.XSI}" xmlns:p={quoteattr(resource_uri)}'
        f' xmlns:cim="{ns.CIM_COMMON}">{body}</p:{method}_OUTPUT>'
    )


def epr_xml(address: str, class_uri: str, selectors: dict[str, str]) -> str:
    """An endpoint reference (DSP0226 §8.7 ObjectAndEPR; the Windows shape is unconfirmed, §1.2)."""
    selector_xml = "".join(
        f"<w:Selector Name={quoteattr(name)}>{escape(value)}</w:Selector>"
        for name, value in selectors.items()
    )
    return (
        f"<a:EndpointReference><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{escape(class_uri)}</w:ResourceURI>"
        f"<w:SelectorSet>{selector_xml}</w:SelectorSet></a:ReferenceParameters></a:EndpointReference>"
    )
