"""Hostile values for the fleet report, and the check that a page shows them inert.

``swapped(model)`` puts a hostile text in place of every string a model holds (the same original
gets the same text, so the page's logic takes the same turns), and a harmless text of the same
length in the same places: the page a hostile one must match in structure. ``hostile_inputs``
puts hostile texts where a machine or a DNS server could. ``inspect(page)`` parses a page with the
standard library's HTML parser, as a browser would tokenize it; ``assert_inert`` says what a
hostile value must never do.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

# One overlong word: it widens its table, as any value without a break does (the page scrolls
# sideways), but stays text.
UNBROKEN = "A" * 10_000
HOSTILE = (
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)' x='",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "</style><script>alert(1)</script><style>",
    "</title></textarea></svg><svg onload=alert(1)>",
    "<!-- --><![CDATA[x]]><?x?>",
    "&amp;&lt;&#x3C;&#60;",  # entities in data stay text, never become characters
    "{{ 7 * 7 }}{% if true %}jinja{% endif %}{# c #}",  # data is never a template
    "\u202eevil\u202c \u2067isolated\u2069 \u202dover",  # bidi overrides and isolates
    UNBROKEN,
    "long words " * 1_000,
    "<style>body{display:none}</style>url(http://evil.example/x) @import 'x';",
    "data:text/html;base64,PHNjcmlwdD4= vbscript:x",
)
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# No element that runs, loads, links or submits anything may appear.
FORBIDDEN = {
    "a",
    "audio",
    "base",
    "button",
    "embed",
    "foreignobject",
    "form",
    "frame",
    "iframe",
    "image",
    "img",
    "input",
    "link",
    "object",
    "script",
    "source",
    "textarea",
    "use",
    "video",
}
URL_ATTRIBUTES = {"action", "formaction", "href", "src", "srcset", "xlink:href", "background"}
# The one attribute whose value carries data (a chart's label); all others are the template's.
DATA_ATTRIBUTES = {"aria-label"}


def _walk(value: Any, swap: Callable[[str], str], key: str = "") -> Any:
    """``value`` with every string swapped; an edition's ``channels`` maps data (a channel kind)
    to a count, so its keys are swapped too."""
    if isinstance(value, str):
        return swap(value)
    if isinstance(value, dict):
        return {(swap(k) if key == "channels" else k): _walk(v, swap, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, swap, key) for item in value]
    return value


class Texts:
    """One hostile text and one plain text of the same length per distinct original string, so
    equal strings stay equal and a short one stays short."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def hostile(self, original: str) -> str:
        n = self.numbers.setdefault(original, len(self.numbers))
        return f"{HOSTILE[n % len(HOSTILE)]}#{n}"

    def plain(self, original: str) -> str:
        n = self.numbers.setdefault(original, len(self.numbers))
        return (f"plain{n}-" * 2_000)[: len(self.hostile(original))]


def hostile_inputs(
    machines: list[dict[str, Any]], srv: dict[str, Any], values: Sequence[str] = HOSTILE
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """tests/unit's test fleet and SRV reads (``test_audit_report.fleet``, ``srv_reads``) with one
    of ``values`` in every string field a machine, the inventory or a DNS server hands the report:
    names, domains, products, editions, channels, statuses, messages, finding codes and subjects,
    ports, builds, KMS host names, SRV owners, zones, TTLs, targets and problems."""
    n = iter(range(1_000))

    def evil() -> str:
        return values[next(n) % len(values)]

    machines[1]["name"] = evil()
    machines[1]["domain"] = evil()
    machines[2]["name"] = f"{evil()}.{evil()}"
    for record in machines[:5]:
        facts = record["result"]["kms_activation"]
        facts["edition"] = evil()
        windows = facts["windows"]
        for key in ("license_family", "channel", "channel_kind", "license_status_name"):
            windows[key] = evil()
        windows["grace_expires"] = evil()
        windows["partial_product_key"] = evil()[-5:]
        for item in facts["attention"]:
            item.update(code=evil(), subject=evil(), message=evil())
    kms1 = machines[0]["result"]["kms_activation"]
    kms1["office"][0].update(name=evil(), license_family=None)
    kms1["kms_host"]["listening_port"] = evil()
    machines[3]["result"]["kms_activation"]["build"] = evil()
    machines[5]["result"]["kms_activation"]["kms_client"]["pinned_host"] = evil()
    machines[6]["result"]["msg"] = evil()
    machines[7]["result"]["msg"] = evil()
    results = srv["results"]
    results[0]["records"][1]["target"] = evil()
    results[0]["zone"] = evil()
    results[1]["ttl"] = evil()
    results[2]["item"] = evil()
    results[3]["owner"] = evil()
    results[3]["records"][1]["port"] = evil()
    results[4]["msg"] = evil()
    return machines, srv


def swapped(model: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Texts]:
    """The model with every string hostile, the same with plain texts, and the texts used."""
    texts = Texts()
    return _walk(model, texts.hostile), _walk(model, texts.plain), texts


@dataclass
class Parsed:
    """A page as tokenized: its elements (tag and attributes), text and style sheets."""

    elements: list[tuple[str, tuple[tuple[str, str | None], ...]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    declarations: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def skeleton(self) -> Counter:
        """Each element with its attributes, a data attribute's value left out."""
        return Counter(
            (tag, tuple((k, "*" if k in DATA_ATTRIBUTES else v) for k, v in attrs))
            for tag, attrs in self.elements
        )

    def attribute_values(self, name: str) -> list[str]:
        return [v or "" for _tag, attrs in self.elements for k, v in attrs if k == name]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = Parsed()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parsed.elements.append((tag, tuple(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parsed.elements.append((tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.parsed.styles if self._in_style else self.parsed.texts).append(data)

    def handle_decl(self, decl: str) -> None:
        self.parsed.declarations.append(decl)

    def handle_comment(self, data: str) -> None:
        self.parsed.comments.append(data)

    def unknown_decl(self, data: str) -> None:
        self.parsed.declarations.append(data)

    def handle_pi(self, data: str) -> None:
        self.parsed.declarations.append(data)


def inspect(page: str) -> Parsed:
    parser = _Parser()
    parser.feed(page)
    parser.close()
    return parser.parsed


def shown(value: str) -> str:
    """A value as the page shows it: its bidi controls as code points."""
    return BIDI.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", value)


def assert_inert(page: str, policy: str, values: Iterable[str] = (), plain: str = "") -> Parsed:
    """``page`` holds no element, attribute or URL a value could have added, the policy and the
    style sheet as the template has them, and every one of ``values`` as text. With ``plain`` (the
    page of the same model with harmless texts of the same lengths) the two have the same
    elements with the same attributes, and the same count of each markup character."""
    parsed = inspect(page)
    assert parsed.declarations == ["DOCTYPE html"], parsed.declarations
    assert parsed.comments == []
    tags = [tag for tag, _attrs in parsed.elements]
    assert FORBIDDEN.isdisjoint(tags), FORBIDDEN.intersection(tags)
    assert tags[:6] == ["html", "head", "meta", "meta", "meta", "title"], tags[:6]
    metas = [dict(attrs) for tag, attrs in parsed.elements if tag == "meta"]
    assert metas[1] == {"http-equiv": "Content-Security-Policy", "content": policy}
    assert tags.count("style") == 1
    assert len(parsed.styles) == 1
    for tag, attrs in parsed.elements:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in URL_ATTRIBUTES, (tag, name)
            if name not in DATA_ATTRIBUTES:
                assert "javascript:" not in (value or "").lower(), (tag, name, value)
    text = parsed.text + "".join(parsed.attribute_values("aria-label"))
    missing = [value[:80] for value in values if shown(value) not in text]
    assert missing == [], missing
    assert not BIDI.search(page), "a bidi control reached the page"
    if plain:
        reference = inspect(plain)
        assert parsed.skeleton() == reference.skeleton()
        assert parsed.styles == reference.styles
        for char in "<>\"'":
            assert page.count(char) == plain.count(char), char
    return parsed


def _attention(model: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    explained: set[str] = set()
    for item in model["attention"]:
        values += [item["code"], item["subject"], item["message"], item["machine"]]
        hresult = item["hresult"]
        if hresult:
            values += [hresult["code"], hresult["symbol"]]
            if hresult["code"] not in explained:  # then "see above"
                values += [hresult["meaning"], hresult["what_to_do"]]
            explained.add(hresult["code"])
    return values


def _kms_hosts(model: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for host in model["kms_hosts"]:
        values += [host["name"], *host["aliases"], *host["clients"]["machines"]]
        values += [*host["srv_domains"], *(t["product"] for t in host["thresholds"])]
        if host["audited"]:
            values.append(host["partial_product_key"])
        if host["standby"]:
            values += [host["standby"][k] for k in ("reason", "risk", "advice")]
    return values


def _srv(model: dict[str, Any]) -> list[Any]:
    srv = model["srv"]
    if not srv["read"] or not srv["domains"]:
        return []
    values = [srv["server"]]
    for domain in srv["domains"]:
        values.append(domain["owner"])
        if not domain["read"]:
            values.append(domain["problem"])
            continue
        values.append(domain["zone"])
        for record in domain["records"]:
            values += [record["target"], record["machine"]]
    return values


def _machines(model: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for row in model["editions"]:
        values += [row["product"], row["edition"], *row["names"], *row["channels"]]
    for machine in model["machines"]:
        values += [machine["name"], machine["domain"], machine["edition"]]
        if not machine["is_kms_host"]:
            values.append(machine["kms_host"])
        values += [o["license_family"] or o["name"] for o in machine["office"]]
        windows = machine["windows"]
        if machine["audited"] and windows:
            values += [windows[k] for k in ("status", "channel", "partial_product_key")]
            values.append(windows["grace_expires"])
    return values


def displayed(model: dict[str, Any]) -> list[str]:
    """The strings of a fleet report model that its page shows as they are."""
    values = [model["title"], model["generated_at"]]
    values += [model["headline"]["text"], model["headline"]["detail"]]
    values += [state["label"] for state in model["states"]]
    values += _attention(model) + _kms_hosts(model) + _srv(model) + _machines(model)
    return [value for value in values if isinstance(value, str) and value]
