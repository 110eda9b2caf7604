# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TSIG keys for RFC 2136 updates: names, algorithms, secrets, and BIND key files.

A key is given either as ``key_name`` + ``key_secret`` (+ ``key_algorithm``) or as a key file in the
format ``tsig-keygen`` prints (dns-and-tooling §3.1). The file is parsed here rather than with
dnspython's ``tsigkeyring.from_file``, which only exists from dnspython 2.9 (§2.1) while the
collection supports 2.6, and so that a broken file gets a message that names the line but never
shows the secret.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# dnspython's names for the HMAC algorithms (dns.tsig constants, §2.1). hmac-md5 has the long
# legacy name on the wire; it is never a default, only used when named (community.general's
# nsupdate defaulted to it, §1.1).
ALGORITHMS = {
    "hmac-md5": "HMAC-MD5.SIG-ALG.REG.INT",
    "hmac-sha1": "hmac-sha1",
    "hmac-sha224": "hmac-sha224",
    "hmac-sha256": "hmac-sha256",
    "hmac-sha384": "hmac-sha384",
    "hmac-sha512": "hmac-sha512",
}
DEFAULT_ALGORITHM = "hmac-sha256"

_KEY_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
    | (?P<string>"[^"\n]*")
    | (?P<punct>[{};])
    | (?P<word>[^\s{};"#/]+)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class TsigKey:
    """A TSIG key; the secret never shows in ``repr``."""

    name: str
    algorithm: str = DEFAULT_ALGORITHM
    secret: str = field(default="", repr=False)

    @property
    def wire_algorithm(self) -> str:
        """The algorithm name as dnspython and the wire spell it."""
        return ALGORITHMS[self.algorithm]


def normalize_key_name(value: object, field_name: str = "key_name") -> str:
    """A key name as an absolute, lower-case DNS name (``kms-update.``)."""
    if not isinstance(value, str) or not value.strip():
        raise KmsInputError(
            field_name,
            "is empty or not text.",
            'Give the key\'s name as the server knows it, e.g. "kms-update".',
        )
    name = value.strip().lower()
    bare = name[:-1] if name.endswith(".") else name
    labels = bare.split(".")
    if len(bare) > 253 or not all(_KEY_LABEL.fullmatch(label) for label in labels):
        raise KmsInputError(
            field_name,
            f'"{value.strip()}" is not a valid key name (labels of a-z, 0-9, "-" and "_", '
            "at most 63 characters each).",
            'Copy the name from the server\'s key statement, e.g. key "kms-update" { ... };',
        )
    return f"{bare}."


def normalize_algorithm(value: object, field_name: str = "key_algorithm") -> str:
    """One of :data:`ALGORITHMS` (case-insensitive; the legacy hmac-md5 wire name is accepted)."""
    text = value.strip().lower().rstrip(".") if isinstance(value, str) else ""
    if text == ALGORITHMS["hmac-md5"].lower():
        text = "hmac-md5"
    if text not in ALGORITHMS:
        shown = value if isinstance(value, str) else type(value).__name__
        raise KmsInputError(
            field_name,
            f'"{shown}" is not a TSIG algorithm this module supports.',
            f"Use one of {', '.join(ALGORITHMS)} (the server's key statement names it).",
        )
    return text


def check_secret(value: object, field_name: str = "key_secret") -> str:
    """The secret, checked to be base64 (stripped); messages describe it, never show it."""
    if not isinstance(value, str) or not value.strip():
        raise KmsInputError(
            field_name,
            "is empty.",
            "Give the base64 secret from the server's key statement (tsig-keygen prints it).",
        )
    text = value.strip()
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        raise KmsInputError(
            field_name,
            f"is not valid base64 ({len(text)} characters; the value is not shown).",
            "Copy the secret exactly as tsig-keygen printed it, without the quotes.",
        )
    return text


def make_key(name: object, secret: object, algorithm: object | None = None) -> TsigKey:
    """A key from the module's ``key_name``, ``key_secret`` and ``key_algorithm`` options."""
    return TsigKey(
        normalize_key_name(name),
        normalize_algorithm(DEFAULT_ALGORITHM if algorithm is None else algorithm),
        check_secret(secret),
    )


def _tokens(text: str, field_name: str) -> list[tuple[str, int]]:
    tokens: list[tuple[str, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            line = text.count("\n", 0, position) + 1
            raise KmsInputError(
                field_name,
                f"line {line}: unexpected character {text[position]!r}.",
                'Use the file tsig-keygen writes: key "name" { algorithm ...; secret "..."; };',
            )
        kind = match.lastgroup
        if kind in ("word", "string", "punct"):
            tokens.append((match.group(), text.count("\n", 0, position) + 1))
        position = match.end()
    return tokens


def _expect(tokens: list[tuple[str, int]], index: int, wanted: str, field_name: str) -> int:
    if index >= len(tokens) or tokens[index][0] != wanted:
        where = f"line {tokens[index][1]}" if index < len(tokens) else "the end of the file"
        raise KmsInputError(
            field_name,
            f'expected "{wanted}" at {where}.',
            'Use the file tsig-keygen writes: key "name" { algorithm ...; secret "..."; };',
        )
    return index + 1


def _unquote(token: str) -> str:
    return token[1:-1] if token.startswith('"') else token


def parse_key_file(text: str, field_name: str = "key_file") -> tuple[TsigKey, ...]:
    """Every ``key "name" { algorithm a; secret "s"; };`` statement of a BIND key file."""
    tokens = _tokens(text, field_name)
    keys: list[TsigKey] = []
    index = 0
    while index < len(tokens):
        word, line = tokens[index]
        if word.lower() != "key" or index + 1 >= len(tokens):
            raise KmsInputError(
                field_name,
                f'line {line}: expected a key statement, found "{word[:20]}".',
                "A key file holds only key statements, as tsig-keygen writes them.",
            )
        name = normalize_key_name(_unquote(tokens[index + 1][0]), f"{field_name} (line {line})")
        index = _expect(tokens, index + 2, "{", field_name)
        values: dict[str, str] = {}
        while index < len(tokens) and tokens[index][0] != "}":
            clause, clause_line = tokens[index]
            if clause.lower() not in ("algorithm", "secret") or index + 1 >= len(tokens):
                raise KmsInputError(
                    field_name,
                    f'line {clause_line}: unknown clause "{clause[:20]}" in key "{name}".',
                    "A key statement holds an algorithm and a secret.",
                )
            values[clause.lower()] = _unquote(tokens[index + 1][0])
            index = _expect(tokens, index + 2, ";", field_name)
        index = _expect(tokens, index, "}", field_name)
        index = _expect(tokens, index, ";", field_name)
        if "secret" not in values:
            raise KmsInputError(
                field_name, f'key "{name}" (line {line}) has no secret.', "Add its secret clause."
            )
        algorithm = normalize_algorithm(
            values.get("algorithm", DEFAULT_ALGORITHM), f"{field_name} (key {name})"
        )
        secret = check_secret(values["secret"], f"{field_name} (key {name} secret)")
        keys.append(TsigKey(name, algorithm, secret))
    if not keys:
        raise KmsInputError(
            field_name, "holds no key statement.", "Point key_file at tsig-keygen's output."
        )
    return tuple(keys)


def choose_key(
    keys: tuple[TsigKey, ...], key_name: object | None, key_algorithm: object | None
) -> TsigKey:
    """The key of a key file that the task means: the only one, or the one ``key_name`` names."""
    if key_name is None:
        if len(keys) > 1:
            names = ", ".join(key.name for key in keys)
            raise KmsInputError(
                "key_name",
                f"the key file holds {len(keys)} keys ({names}).",
                "Set key_name to the one the server grants update rights to.",
            )
        chosen = keys[0]
    else:
        wanted = normalize_key_name(key_name)
        matches = [key for key in keys if key.name == wanted]
        if not matches:
            names = ", ".join(key.name for key in keys)
            raise KmsInputError(
                "key_name",
                f'"{wanted}" is not in the key file (it holds {names}).',
                "Correct key_name or key_file.",
            )
        chosen = matches[0]
    if key_algorithm is not None and normalize_algorithm(key_algorithm) != chosen.algorithm:
        raise KmsInputError(
            "key_algorithm",
            f"is {normalize_algorithm(key_algorithm)} but the key file says {chosen.algorithm} "
            f"for {chosen.name}.",
            "Leave key_algorithm out when you use key_file; the file says which one.",
        )
    return chosen
