"""CIM values both ways: decode with and without hints, encode, and the round trip."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim import (
    INT_RANGES,
    CimType,
    CimTypeSpec,
    check_identifier,
    decode_element,
    decode_properties,
    decode_scalar_text,
    type_spec_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_encode import (
    encode_property,
    encode_scalar_text,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.cim_time import (
    decode_time,
    encode_time,
    to_dmtf,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanProtocolError
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import parse_xml

CLASS_NS = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/SoftwareLicensingService"
DECLS = (
    f'xmlns:p="{CLASS_NS}" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def instance(children: str) -> ET.Element:
    return parse_xml(
        f"<p:SoftwareLicensingService {DECLS}>{children}</p:SoftwareLicensingService>", 10**6
    )


def element(xml: str) -> ET.Element:
    return parse_xml(f"<w {DECLS}>{xml}</w>", 10**6)[0]


# ------------------------------------------------------------------ decoding


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("1688", CimType.UINT32, 1688),
        (" 0 ", CimType.UINT32, 0),
        ("4294967295", CimType.UINT32, 4294967295),
        ("-1", CimType.UINT32, 4294967295),  # §1.5: "-1" counters folded to the unsigned value
        ("-1", CimType.SINT32, -1),
        ("255", CimType.UINT8, 255),
        ("-128", CimType.SINT8, -128),
        ("18446744073709551615", CimType.UINT64, 2**64 - 1),
        ("-9223372036854775808", CimType.SINT64, -(2**63)),
        ("true", CimType.BOOLEAN, True),
        ("false", CimType.BOOLEAN, False),
        ("1", CimType.BOOLEAN, True),
        ("0", CimType.BOOLEAN, False),
        ("True", CimType.BOOLEAN, True),
        ("1.5", CimType.REAL64, 1.5),
        ("-2E3", CimType.REAL32, -2000.0),
        ("INF", CimType.REAL64, math.inf),
        ("-INF", CimType.REAL64, -math.inf),
        ("  padded text  ", CimType.STRING, "  padded text  "),
        ("", CimType.STRING, ""),
    ],
)
def test_decode_scalar_text(text: str, kind: CimType, expected: object) -> None:
    assert decode_scalar_text(text, kind) == expected


def test_decode_nan() -> None:
    assert math.isnan(decode_scalar_text("NaN", CimType.REAL64))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("abc", CimType.UINT32),
        ("1.0", CimType.UINT32),
        ("4294967296", CimType.UINT32),
        ("-2147483649", CimType.UINT32),
        ("256", CimType.UINT8),
        ("1_000", CimType.UINT32),
        ("yes", CimType.BOOLEAN),
        ("", CimType.BOOLEAN),
        ("1_0", CimType.REAL64),
        ("nan", CimType.REAL64),
        ("infinity", CimType.REAL64),
        ("2013-13-01T00:00:00", CimType.DATETIME),
        ("tomorrow", CimType.DATETIME),
        ("text", CimType.INSTANCE),
    ],
)
def test_decode_scalar_text_rejects(text: str, kind: CimType) -> None:
    with pytest.raises(WsmanProtocolError, match="property"):
        decode_scalar_text(text, kind)


def test_decode_properties_untyped_service_instance() -> None:
    """The §1.3 GetResponse shape: text by default, nil as None, all properties by local name."""
    root = instance(
        "<p:IsKeyManagementServiceMachine>0</p:IsKeyManagementServiceMachine>"
        "<p:KeyManagementServiceDnsPublishing>true</p:KeyManagementServiceDnsPublishing>"
        '<p:KeyManagementServiceMachine xsi:nil="true"/>'
        "<p:KeyManagementServicePort>0</p:KeyManagementServicePort>"
        "<p:Version>10.0.20348.1</p:Version>"
    )
    assert decode_properties(root) == {
        "IsKeyManagementServiceMachine": "0",
        "KeyManagementServiceDnsPublishing": "true",
        "KeyManagementServiceMachine": None,
        "KeyManagementServicePort": "0",
        "Version": "10.0.20348.1",
    }


def test_decode_properties_typed_hints_case_insensitive_and_missing_tolerated() -> None:
    root = instance(
        "<p:KeyManagementServiceDnsPublishing>true</p:KeyManagementServiceDnsPublishing>"
        "<p:KeyManagementServicePort>1688</p:KeyManagementServicePort>"
        "<p:KeyManagementServiceCurrentCount>-1</p:KeyManagementServiceCurrentCount>"
    )
    types = {
        "keymanagementservicednspublishing": "boolean",
        "KeyManagementServicePort": "uint32",
        "KeyManagementServiceCurrentCount": CimType.UINT32,
        "ProductKeyChannel": "string",  # absent on older Windows (§4.2): not in the result
    }
    assert decode_properties(root, types) == {
        "KeyManagementServiceDnsPublishing": True,
        "KeyManagementServicePort": 1688,
        "KeyManagementServiceCurrentCount": 4294967295,
    }


def test_arrays_repeated_nil_and_single_with_hint() -> None:
    root = instance(
        "<p:sNames>a</p:sNames><p:sNames>b</p:sNames>"
        "<p:Single>only</p:Single>"
        '<p:NilArray xsi:nil="true"/>'
        "<p:Counts>1</p:Counts><p:Counts>2</p:Counts>"
    )
    types = {"Single": "string[]", "NilArray": "uint32[]", "Counts": "uint16[]"}
    assert decode_properties(root, types) == {
        "sNames": ["a", "b"],
        "Single": ["only"],
        "NilArray": None,
        "Counts": [1, 2],
    }


def test_repeated_element_with_scalar_hint_is_a_protocol_error() -> None:
    root = instance("<p:Port>1</p:Port><p:Port>2</p:Port>")
    with pytest.raises(WsmanProtocolError, match="expected one uint32, got 2"):
        decode_properties(root, {"Port": "uint32"})


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        # fixture (a) form, §1.5
        (
            "<p:CreationDate><cim:Datetime>2013-04-29T11:43:11.203125-07:00</cim:Datetime></p:CreationDate>",
            dt.datetime(2013, 4, 29, 11, 43, 11, 203125, dt.timezone(dt.timedelta(hours=-7))),
        ),
        (
            "<p:T><cim:Datetime>2024-01-02T03:04:05.1234567Z</cim:Datetime></p:T>",
            dt.datetime(2024, 1, 2, 3, 4, 5, 123456, dt.UTC),
        ),
        (
            "<p:T><cim:Datetime>2024-01-02T03:04:05</cim:Datetime></p:T>",
            dt.datetime(2024, 1, 2, 3, 4, 5),
        ),
        (
            "<p:T><cim:Interval>P1DT2H3M4.5S</cim:Interval></p:T>",
            dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5),
        ),
        (
            "<p:T><cim:CIMDateString>20130429114311.203125-420</cim:CIMDateString></p:T>",
            dt.datetime(2013, 4, 29, 11, 43, 11, 203125, dt.timezone(dt.timedelta(hours=-7))),
        ),
    ],
)
def test_decode_datetime_wrappers(xml: str, expected: object) -> None:
    assert decode_element(element(xml)) == expected
    assert decode_element(element(xml), CimTypeSpec(CimType.DATETIME)) == expected


def test_datetime_text_with_hint_accepts_dmtf_and_intervals() -> None:
    spec = CimTypeSpec(CimType.DATETIME)
    assert decode_element(element("<p:E>16010101000000.000000-000</p:E>"), spec) == dt.datetime(
        1601, 1, 1, tzinfo=dt.UTC
    )
    assert decode_element(element("<p:E>00000001020304.500000:000</p:E>"), spec) == dt.timedelta(
        days=1, hours=2, minutes=3, seconds=4, microseconds=500000
    )
    # pypsrp shell capture: IdleTimeOut PT7200.000S and ShellRunTime P0DT0H0M9S
    assert decode_element(element("<p:E>PT7200.000S</p:E>"), spec) == dt.timedelta(hours=2)
    assert decode_element(element("<p:E>P0DT0H0M9S</p:E>"), spec) == dt.timedelta(seconds=9)


@pytest.mark.parametrize(
    "text", ["P1Y", "P2M", "P", "PT", "P1DT", "-P1D", "********000000.000000+***", "2013-04-29"]
)
def test_decode_time_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a valid CIM datetime"):
        decode_time(text)


def test_datetime_structure_mismatches_are_protocol_errors() -> None:
    with pytest.raises(WsmanProtocolError, match="expected uint32, got cim:Datetime"):
        decode_element(
            element("<p:T><cim:Datetime>2013-04-29T11:43:11</cim:Datetime></p:T>"),
            CimTypeSpec(CimType.UINT32),
        )
    with pytest.raises(WsmanProtocolError, match="got a structure"):
        decode_element(element("<p:T><p:A>1</p:A><p:B>2</p:B></p:T>"), CimTypeSpec(CimType.UINT32))
    with pytest.raises(WsmanProtocolError, match="cannot have child elements"):
        decode_element(element("<p:T><cim:Datetime><p:x/></cim:Datetime></p:T>"))


def test_embedded_instance_wrapped_and_bare() -> None:
    wrapped = element(
        '<p:Err><p:__ExtendedStatus xsi:type="p:__ExtendedStatus_Type">'
        '<p:Description xsi:nil="true"/><p:Operation>ExecQuery</p:Operation>'
        "</p:__ExtendedStatus></p:Err>"
    )
    assert decode_element(wrapped) == {"Description": None, "Operation": "ExecQuery"}
    bare = element("<p:Err><p:A>1</p:A><p:B>x</p:B><p:B>y</p:B></p:Err>")
    assert decode_element(bare) == {"A": "1", "B": ["x", "y"]}
    assert decode_element(element("<p:Err/>"), CimTypeSpec(CimType.INSTANCE)) == {}
    with pytest.raises(WsmanProtocolError, match="property Err: expected an instance, got text"):
        decode_element(element("<p:Err>text</p:Err>"), CimTypeSpec(CimType.INSTANCE))


def test_xsi_type_drives_decoding_without_hint() -> None:
    """MSFT_WmiError properties carry xsi:type (fixture (g))."""
    root = instance(
        "<p:CIMStatusCode xsi:type='cim:cimUnsignedInt'>27</p:CIMStatusCode>"
        "<p:ErrorType xsi:type='cim:cimUnsignedShort'>0</p:ErrorType>"
        "<p:Flag xsi:type='cim:cimBoolean'>false</p:Flag>"
        "<p:OwningEntity xsi:nil='true' xsi:type='cim:cimString'/>"
        "<p:error_Code xsi:type='cim:cimUnsignedInt'>2150859173</p:error_Code>"
        "<p:Other xsi:type='cim:cimSomethingNew'>kept as text</p:Other>"
    )
    assert decode_properties(root) == {
        "CIMStatusCode": 27,
        "ErrorType": 0,
        "Flag": False,
        "OwningEntity": None,
        "error_Code": 2150859173,
        "Other": "kept as text",
    }


def test_comments_are_ignored() -> None:
    root = instance("<!-- note --><p:A>1</p:A><!-- x -->")
    assert decode_properties(root, {"a": "uint8"}) == {"A": 1}


def test_type_spec_parsing() -> None:
    assert CimTypeSpec.parse("uint32[]") == CimTypeSpec(CimType.UINT32, True)
    assert CimTypeSpec.parse(" Boolean ") == CimTypeSpec(CimType.BOOLEAN)
    assert CimTypeSpec.parse(CimType.STRING) == CimTypeSpec(CimType.STRING)
    assert type_spec_for({"PortNumber": "uint32"}, "portnumber") == CimTypeSpec(CimType.UINT32)
    assert type_spec_for(None, "x") is None
    with pytest.raises(KmsInputError, match="'int' is not a CIM type"):
        CimTypeSpec.parse("int")


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "a:b", "é", None])
def test_check_identifier_rejects(name: object) -> None:
    with pytest.raises(KmsInputError, match="method: is not a valid WMI method name"):
        check_identifier("method", name, "method name")  # type: ignore[arg-type]


# ------------------------------------------------------------------ encoding


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        (1688, "uint32", "<c:P>1688</c:P>"),
        (True, "boolean", "<c:P>true</c:P>"),
        (False, None, "<c:P>false</c:P>"),
        ("a<b&c>'\"", None, "<c:P>a&lt;b&amp;c&gt;'\"</c:P>"),
        ("line\r\nend", "string", "<c:P>line&#13;\nend</c:P>"),
        (1.5, "real64", "<c:P>1.5</c:P>"),
        (2, "real32", "<c:P>2.0</c:P>"),
        (math.inf, None, "<c:P>INF</c:P>"),
        (["a", "b"], "string[]", "<c:P>a</c:P><c:P>b</c:P>"),
        ([], "string[]", ""),
        ((1, 2), None, "<c:P>1</c:P><c:P>2</c:P>"),
        (
            None,
            "uint32",
            '<c:P xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>',
        ),
        (
            dt.datetime(2013, 4, 29, 11, 43, 11, 203125, dt.timezone(dt.timedelta(hours=-7))),
            None,
            '<c:P><cim:Datetime xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">'
            "2013-04-29T11:43:11.203125-07:00</cim:Datetime></c:P>",
        ),
        (
            dt.timedelta(days=1, seconds=3723),
            "datetime",
            '<c:P><cim:Interval xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">'
            "P1DT1H2M3S</cim:Interval></c:P>",
        ),
        ({"A": 1, "B": "x"}, None, "<c:P><c:A>1</c:A><c:B>x</c:B></c:P>"),
    ],
)
def test_encode_property(value: object, spec: str | None, expected: str) -> None:
    assert encode_property("c", "P", value, spec) == expected


SECRET = "ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ"


@pytest.mark.parametrize(
    ("value", "spec", "message"),
    [
        (
            -1,
            "uint32",
            "params.P: is out of range for uint32 Use a whole number from 0 to 4294967295.",
        ),
        (2**64, None, "params.P: is out of range for uint64"),
        (True, "uint32", "params.P: must be of type uint32, not bool"),
        ("1688", "uint32", "params.P: must be of type uint32, not str"),
        (1, "boolean", "params.P: must be of type boolean, not int"),
        (1.0, "uint32", "params.P: must be of type uint32, not float"),
        (3.5e38, "real32", "params.P: is out of range for real32"),
        ([1, 2], "uint32", "params.P: must be a single uint32, not a list"),
        (1, "uint32[]", "params.P: must be a list of uint32"),
        ([1, None], None, r"params.P\[1\]: is null"),
        (object(), None, "params.P: values of type object cannot be sent to WMI"),
        ({1, 2}, None, "params.P: values of type set cannot be sent to WMI"),
        (SECRET + "\x01", "string", "params.P: contains the character U\\+0001"),
        (dt.timedelta(seconds=-1), None, "params.P: is a negative interval"),
        (
            dt.datetime(2020, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30))),
            None,
            "not a whole number of minutes",
        ),
        ("x", "instance", "params.P: must be a mapping, not str"),
    ],
)
def test_encode_property_rejects(value: object, spec: str | None, message: str) -> None:
    with pytest.raises(KmsInputError, match=message) as info:
        encode_property("c", "P", value, spec, field="params.P")
    assert "ABCDE" not in str(info.value)  # a product key never reaches a message


def test_encode_property_rejects_bad_names() -> None:
    with pytest.raises(KmsInputError, match=r"params\.x y: is not a valid WMI property name"):
        encode_property("c", "x y", 1, field="params.x y")
    with pytest.raises(
        KmsInputError, match=r"params\.P\.bad-name: is not a valid WMI property name"
    ):
        encode_property("c", "P", {"bad-name": 1}, field="params.P")


def test_encode_scalar_text_instance_is_not_scalar() -> None:
    with pytest.raises(KmsInputError, match="an instance is not a scalar"):
        encode_scalar_text({}, CimType.INSTANCE)


# ------------------------------------------------------------------ round trip (hypothesis)

XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    ),
    max_size=40,
)
OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
DATETIMES = st.datetimes(
    min_value=dt.datetime(1, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.none() | OFFSETS,
)
INTERVALS = st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=99999999))


def _scalar_for(kind: CimType) -> st.SearchStrategy[object]:
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        return st.integers(low, high)
    return {
        CimType.STRING: XML_TEXT,
        CimType.BOOLEAN: st.booleans(),
        CimType.REAL32: st.floats(width=32),
        CimType.REAL64: st.floats(),
        CimType.DATETIME: DATETIMES | INTERVALS,
    }[kind]


@st.composite
def typed_values(draw: st.DrawFn) -> tuple[CimTypeSpec, object]:
    kind = draw(st.sampled_from([k for k in CimType if k is not CimType.INSTANCE]))
    is_array = draw(st.booleans())
    if is_array:
        value: object = draw(st.none() | st.lists(_scalar_for(kind), min_size=1, max_size=4))
    else:
        value = draw(st.none() | _scalar_for(kind))
    return CimTypeSpec(kind, is_array), value


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _same(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    return type(left) is type(right) and left == right


def _wrap(xml: str) -> ET.Element:
    return parse_xml(f'<c:Method_OUTPUT xmlns:c="urn:test">{xml}</c:Method_OUTPUT>', 10**7)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typed_values(), min_size=1, max_size=5))
def test_round_trip_typed(values: list[tuple[CimTypeSpec, object]]) -> None:
    """Whatever the serializer writes, the parser reads back identically under the same hints."""
    names = [f"P{i}" for i in range(len(values))]
    xml = "".join(encode_property("c", n, v, s) for n, (s, v) in zip(names, values, strict=True))
    hints = {n: s for n, (s, _value) in zip(names, values, strict=True)}
    decoded = decode_properties(_wrap(xml), hints)
    assert set(decoded) == set(names)
    for name, (_spec, value) in zip(names, values, strict=True):
        assert _same(value, decoded[name]), (name, value, decoded[name])


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
        XML_TEXT | st.none() | st.lists(XML_TEXT, min_size=2, max_size=3),
        max_size=5,
    )
)
def test_round_trip_untyped_text(props: dict[str, object]) -> None:
    """Text, nil and multi-item arrays need no hint; neither do embedded instances."""
    if len({k.lower() for k in props}) != len(props):
        return
    xml = encode_property("c", "Embedded", props) if props else ""
    xml += "".join(encode_property("c", k, v) for k, v in props.items())
    decoded = decode_properties(_wrap(xml))
    expected = dict(props)
    if props:
        expected["Embedded"] = dict(props)
    assert decoded == expected


@settings(max_examples=200, deadline=None)
@given(DATETIMES | INTERVALS)
def test_time_round_trips_in_both_spellings(value: dt.datetime | dt.timedelta) -> None:
    assert _same(value, decode_time(encode_time(value)))
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # DMTF text always carries an offset
    if isinstance(value, dt.datetime) and abs(value.utcoffset() or dt.timedelta()) > dt.timedelta(
        minutes=999
    ):
        with pytest.raises(ValueError, match="DMTF"):
            to_dmtf(value)
        return
    assert _same(value, decode_time(to_dmtf(value)))


def test_to_dmtf_examples() -> None:
    stamp = dt.datetime(2013, 4, 29, 11, 43, 11, 203125, dt.timezone(dt.timedelta(hours=-7)))
    assert to_dmtf(stamp) == "20130429114311.203125-420"
    assert to_dmtf(dt.timedelta(days=1, hours=2, minutes=3, seconds=4)) == (
        "00000001020304.000000:000"
    )
    assert to_dmtf(dt.datetime(1601, 1, 1)) == "16010101000000.000000+000"
    with pytest.raises(ValueError, match="DMTF interval range"):
        to_dmtf(dt.timedelta(days=100000000))
