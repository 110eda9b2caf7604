# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS domain names as KMS publishing needs them.

``DnsDomainPublishList`` entries and ``_vlmcs._tcp`` SRV targets are fully qualified host or
domain names (kms-facts §2.2 to §2.4). This module checks them, puts them in one canonical form
(ASCII, lower case, no trailing dot) and explains every refusal, including internationalized names
and Unicode characters that only look like ASCII.
"""

from __future__ import annotations

import json
import re
import unicodedata

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# RFC 1035 §2.3.4 (63 octets a label) and RFC 1123 §2.1 / RFC 2181 §11; 253 characters is the
# longest name written without its trailing dot (255 octets on the wire).
MAX_LABEL = 63
MAX_NAME = 253

_WHITESPACE = " \t\r\n\v\f"
_LDH = re.compile(r"[a-z0-9-]+")
_NOT_LDH = re.compile(r"[^a-z0-9-]")
_FIX_CHARS = "Use only the letters a-z, the digits 0-9 and hyphens in each label."


def describe_char(char: str) -> str:
    """``U+043E CYRILLIC SMALL LETTER O``: the code point and its Unicode name."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def _show(char: str) -> str:
    # Invisible and control characters are named only; printing them would show nothing.
    if char.isprintable() and unicodedata.category(char)[0] not in "CZ":
        return f'"{char}" ({describe_char(char)})'
    return describe_char(char)


def _q(text: str) -> str:
    """A name quoted for a message, with control characters escaped."""
    return json.dumps(text, ensure_ascii=False)


def normalize_domain(text: object, field: str) -> str:
    """Return ``text`` as a lower-case fully qualified domain name without the trailing dot.

    Surrounding whitespace and one trailing dot are accepted and removed. Anything else that is not
    a plain ASCII letter-digit-hyphen name of at least two labels raises :class:`KmsInputError`.
    """
    if not isinstance(text, str):
        raise KmsInputError(
            field,
            f"expected a domain name as text, got {type(text).__name__}.",
            "Write a fully qualified domain name such as contoso.com.",
        )
    lead = len(text) - len(text.lstrip(_WHITESPACE))
    name = text.strip(_WHITESPACE)
    if not name:
        raise KmsInputError(
            field, "is empty.", "Write a fully qualified domain name such as contoso.com."
        )
    if not name.isascii():
        raise _non_ascii_error(name, lead, field)
    name = name.lower()
    if name == ".":
        raise KmsInputError(
            field,
            '"." is the DNS root, not a domain.',
            "Write a fully qualified domain name such as contoso.com.",
        )
    if name.endswith("."):
        name = name[:-1]
    if len(name) > MAX_NAME:
        raise KmsInputError(
            field,
            f"is {len(name)} characters long; a DNS name holds at most {MAX_NAME}.",
            "Use a shorter name.",
        )
    labels = name.split(".")
    offset = lead
    for label in labels:
        _check_label(label, name, offset, field)
        offset += len(label) + 1
    _check_whole(name, labels, field)
    return name


def _check_label(label: str, name: str, offset: int, field: str) -> None:
    if not label:
        raise KmsInputError(
            field,
            f"{_q(name)} has an empty label (two dots in a row, or a leading dot).",
            "Remove the extra dot.",
        )
    if len(label) > MAX_LABEL:
        raise KmsInputError(
            field,
            f"label {_q(label[:20] + '…')} in {_q(name)} is {len(label)} characters long; "
            f"a label holds at most {MAX_LABEL}.",
            "Shorten that label.",
        )
    bad = _NOT_LDH.search(label)
    if bad is not None:
        char = bad.group()
        raise KmsInputError(
            field,
            f"label {_q(label)} in {_q(name)} has {_show(char)} "
            f"at position {offset + bad.start() + 1}.",
            _FIX_CHARS,
        )
    if label.startswith("-") or label.endswith("-"):
        raise KmsInputError(
            field,
            f"label {_q(label)} in {_q(name)} starts or ends with a hyphen.",
            "Hyphens are allowed only inside a label; remove or move it.",
        )
    if label.startswith("xn--"):
        _check_a_label(label, name, field)


def _check_a_label(label: str, name: str, field: str) -> None:
    # An "xn--" label is an IDNA A-label; one that does not decode is a typo nobody can resolve.
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        raise KmsInputError(
            field,
            f'label {_q(label)} in {_q(name)} starts with "xn--" but is not a valid A-label.',
            "Copy the A-label from an IDNA converter, or write the name in plain ASCII.",
        ) from None


def _check_whole(name: str, labels: list[str], field: str) -> None:
    if len(labels) < 2:
        raise KmsInputError(
            field,
            f"{_q(name)} is a single label, not a fully qualified domain name.",
            f'Write the full name with its parent domain, such as "{name}.<your domain>".',
        )
    # RFC 3696 §2: a top-level label is never all digits, so such a "name" is an IP address.
    if labels[-1].isdigit():
        raise KmsInputError(
            field,
            f"{_q(name)} looks like an IP address, not a domain name "
            "(its last label is all digits).",
            "Write the DNS name instead; SRV targets and publish domains must be names.",
        )


def _non_ascii_error(name: str, lead: int, field: str) -> KmsInputError:
    suspects: list[str] = []
    others: list[str] = []
    position = lead
    for label in name.split("."):
        has_ascii_letters = any(c.isascii() and c.isalpha() for c in label)
        for index, char in enumerate(label):
            if not char.isascii():
                where = f"position {position + index + 1} is {_show(char)}"
                target = suspects if _looks_like_ascii(char, has_ascii_letters) else others
                target.append(where)
        position += len(label) + 1
    a_label = _a_label(name)
    if suspects:
        fix = "Retype the name in plain ASCII (a-z, 0-9, hyphen)."
        if a_label is not None and "xn--" not in a_label:
            fix = f'Retype the name in plain ASCII: "{a_label}".'
        elif a_label is not None:
            fix = f'{fix} If you do mean an internationalized name, write its A-label "{a_label}".'
        return KmsInputError(
            field,
            f"{_q(name)} has characters that look like ASCII but are not: "
            + "; ".join(suspects[:3])
            + ".",
            fix,
        )
    detail = "; ".join(others[:3])
    if a_label is None:
        return KmsInputError(
            field,
            f"{_q(name)} is not plain ASCII ({detail}) and has no valid A-label form.",
            "Write the name in plain ASCII (a-z, 0-9, hyphen).",
        )
    return KmsInputError(
        field,
        f"{_q(name)} is an internationalized name ({detail}); DNS records carry only the "
        "ASCII (A-label) form.",
        f'Write "{a_label}" instead.',
    )


def _looks_like_ascii(char: str, in_ascii_label: bool) -> bool:
    """Guess whether ``char`` is a look-alike rather than a deliberate internationalized letter.

    Invisible characters, compatibility forms of ASCII (full-width letters and the like) and
    non-Latin letters mixed into an otherwise ASCII label are the usual copy-and-paste accidents.
    """
    if unicodedata.category(char)[0] in "CZ":
        return True
    if unicodedata.normalize("NFKC", char).isascii():
        return True
    script = unicodedata.name(char, "").split(" ", 1)[0]
    return in_ascii_label and script != "LATIN"


def _a_label(name: str) -> str | None:
    # The stdlib codec implements IDNA 2003 (nameprep + punycode), which is enough to show the
    # user the ASCII spelling to write; no third-party idna package is allowed here.
    try:
        encoded = name.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    if not encoded or not all(_LDH.fullmatch(label) for label in encoded.split(".")):
        return None
    return encoded


def absolute(name: str) -> str:
    """``name`` with exactly one trailing dot (for a name that is already normalised)."""
    return name if name.endswith(".") else f"{name}."


def relative(name: str, zone: str | None = None, field: str = "name") -> str:
    """``name`` without its trailing dot, or relative to ``zone`` (``@`` for the apex).

    Both arguments are normalised names (owner names may start with ``_vlmcs._tcp``).
    """
    bare = name.rstrip(".").lower()
    if zone is None:
        return bare
    origin = zone.rstrip(".").lower()
    if bare == origin:
        return "@"
    if not bare.endswith(f".{origin}"):
        raise KmsInputError(
            field,
            f'"{bare}" is not inside the zone "{origin}".',
            "Pick the zone that contains the name, or correct the name.",
        )
    return bare[: -len(origin) - 1]


def in_zone(name: str, zone: str) -> bool:
    """True when normalised ``name`` is ``zone`` itself or lies below it."""
    bare = name.rstrip(".").lower()
    origin = zone.rstrip(".").lower()
    return bare == origin or bare.endswith(f".{origin}")
