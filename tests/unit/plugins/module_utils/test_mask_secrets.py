# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Product keys are masked wherever they sit in text we quote or log, and in fault messages."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import KEY_ALPHABET
from ansible_collections.volact.kms.plugins.module_utils.wsman import messages as wsman
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    WsmanFault,
    WsmanProtocolError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import mask_secrets

HIDDEN = "XXXXX-XXXXX-XXXXX-XXXXX-"
KEY = "NPPR9-FWDCX-D2C8J-H872K-2YT43"


@st.composite
def keys(draw: st.DrawFn) -> str:
    """A key in any mix of upper and lower case."""
    chars = draw(st.lists(st.sampled_from(KEY_ALPHABET + "N"), min_size=25, max_size=25))
    cased = [c.lower() if draw(st.booleans()) else c for c in chars]
    return "-".join("".join(cased[i : i + 5]) for i in range(0, 25, 5))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), keys(), st.text(max_size=60))
def test_a_key_anywhere_keeps_only_its_last_group(before: str, key: str, after: str) -> None:
    assume(not key.upper().startswith(HIDDEN))  # a key of X's is its own mask
    masked = mask_secrets(before + key + after)
    assert key.lower() not in masked.lower()
    assert key[:17].lower() not in masked.lower()
    assert HIDDEN in masked


@settings(max_examples=200, deadline=None)
@given(st.lists(keys(), min_size=1, max_size=4), st.sampled_from([" ", "\n", "><", '"', ",", ""]))
def test_every_key_in_a_text_is_masked(found: list[str], separator: str) -> None:
    for key in found:
        assume(not key.upper().startswith(HIDDEN))
    masked = mask_secrets(separator.join(found))
    for key in found:
        assert key[:17].lower() not in masked.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (KEY, HIDDEN + "2YT43"),
        (KEY.lower(), HIDDEN + "2yt43"),
        (f"<p:ProductKey>{KEY}</p:ProductKey>", f"<p:ProductKey>{HIDDEN}2YT43</p:ProductKey>"),
        # Six groups in a row: masking only five could start early and show a real group.
        ("ABCDE-" + KEY, HIDDEN + "2YT43"),
        (KEY + "-QQQQQ", HIDDEN + "QQQQQ"),
        ("uuid:0B3C7E6A-0000-4000-8000-000000000001", "uuid:0B3C7E6A-0000-4000-8000-000000000001"),
        ("00330-80000-00000-AA403", "00330-80000-00000-AA403"),  # a product ID, not a key
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


FAULT = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
  xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault">
<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action></s:Header>
<s:Body><s:Fault>
<s:Code><s:Value>s:Receiver</s:Value></s:Code>
<s:Reason><s:Text xml:lang="en-US">InstallProductKey({key}) failed</s:Text></s:Reason>
<s:Detail><f:WSManFault Code="3221549136" Machine="kms1">
<f:Message><f:ProviderFault provider="SPP" path="{key}">
<f:WSManFault Code="3221549136"><f:Message>The key {key} is invalid.</f:Message></f:WSManFault>
<f:ExtendedError><p:__ExtendedStatus
  xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/__ExtendedStatus">
<p:ParameterInfo>{key}</p:ParameterInfo><p:Operation>ExecMethod</p:Operation>
</p:__ExtendedStatus></f:ExtendedError>
</f:ProviderFault></f:Message></f:WSManFault></s:Detail>
</s:Fault></s:Body></s:Envelope>"""


@pytest.mark.parametrize("key", [KEY, KEY.lower()])
def test_a_fault_that_echoes_the_key_never_shows_it(key: str) -> None:
    with pytest.raises(WsmanFault) as caught:
        wsman.read_envelope(FAULT.format(key=key))
    fault = caught.value
    everything = repr(
        [str(fault), fault.reason, fault.message, fault.provider_path, fault.extended_error]
    )
    assert key[:17] not in everything
    assert HIDDEN + key[-5:] in str(fault)
    assert fault.extended_error == {"ParameterInfo": HIDDEN + key[-5:], "Operation": "ExecMethod"}
    assert fault.hresult == 0xC004F050


def test_fault_and_protocol_error_built_directly_are_masked_too() -> None:
    fault = WsmanFault(reason=f"bad {KEY}", wmi_error={"Message": [KEY]})
    assert KEY not in str(fault)
    assert fault.wmi_error == {"Message": [HIDDEN + "2YT43"]}
    error = WsmanProtocolError(f"echo {KEY}", detail=KEY)
    assert KEY not in str(error)
