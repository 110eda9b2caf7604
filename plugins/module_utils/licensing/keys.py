# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Product keys: format check, normalisation of pasted text, and masking.

A key is 25 characters in five dash-separated groups of five. Keys are secrets (MAK, CSVLK, retail),
so nothing here ever puts more than the last group of a key into a message or a repr.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# Windows product keys avoid vowels and the characters people misread (0/O, 1/I/L, 5/S, Z...).
# Windows 8 and later keys may carry one N besides these (every row of reference/gvlk.csv obeys
# this, checked by test_keys.py).
KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"
GROUPS = 5
GROUP_LENGTH = 5
KEY_LENGTH = GROUPS * GROUP_LENGTH
MASK_CHAR = "X"

_ALPHABET_TEXT = (
    "product keys use only the letters B C D F G H J K M N P Q R T V W X Y "
    "and the digits 2 3 4 6 7 8 9"
)
_KEY_RE = re.compile(rf"[{KEY_ALPHABET}N]{{5}}(?:-[{KEY_ALPHABET}N]{{5}}){{4}}")

# Dashes that word processors, PDFs and web pages put where the key had a plain hyphen-minus
# (reference §2.7: 0xC004F050 is what Windows says about a key pasted with an em dash).
_DASHES = {
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u2015": "-",  # HORIZONTAL BAR
    "\u2212": "-",  # MINUS SIGN
    "\u2e3a": "-",  # TWO-EM DASH
    "\u2e3b": "-",  # THREE-EM DASH
    "\ufe58": "-",  # SMALL EM DASH
    "\ufe63": "-",  # SMALL HYPHEN-MINUS
    "\uff0d": "-",  # FULLWIDTH HYPHEN-MINUS
}
_TO_ASCII = str.maketrans(
    {**_DASHES, **{chr(c): chr(c - 32) for c in range(ord("a"), ord("z") + 1)}}
)
# Invisible format characters that ride along when a key is copied out of a document or a chat
# window; they carry nothing, so they are dropped wherever they are.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_DROP_INVISIBLE = str.maketrans(dict.fromkeys(_INVISIBLE))
_SEPARATOR_RE = re.compile(r"\s*-\s*|\s+")

# Hints for the characters keys never use and what they are usually misread from.
_NEVER_USED = {
    "O": "product keys never contain O or 0: compare with Q, D or 8 in the source",
    "0": "product keys never contain O or 0: compare with Q, D or 8 in the source",
    "I": "product keys never contain I, L or 1: compare with J, T or 7 in the source",
    "L": "product keys never contain I, L or 1: compare with J, T or 7 in the source",
    "1": "product keys never contain I, L or 1: compare with J, T or 7 in the source",
    "S": "product keys never contain S or 5: compare with 6, 8 or 9 in the source",
    "5": "product keys never contain S or 5: compare with 6, 8 or 9 in the source",
    "Z": "product keys never contain Z: it is probably the digit 2",
    "A": "product keys never contain vowels: A is probably 4",
    "E": "product keys never contain vowels: E is probably F or 3",
    "U": "product keys never contain vowels: U is probably V",
}

# Letters from other scripts that render like Latin capitals; NFKC does not fold them. Built from
# Unicode names so the source holds no ambiguous characters.
_LOOKALIKE_NAMES = (
    ("CYRILLIC CAPITAL LETTER", "A:A VE:B IE:E KA:K EM:M EN:H O:O ER:P ES:C TE:T U:Y HA:X"),
    ("CYRILLIC SMALL LETTER", "A:A IE:E KA:K O:O ER:P ES:C U:Y HA:X"),
    ("GREEK CAPITAL LETTER", "ALPHA:A BETA:B EPSILON:E ZETA:Z ETA:H IOTA:I KAPPA:K MU:M NU:N"),
    ("GREEK CAPITAL LETTER", "OMICRON:O RHO:P TAU:T UPSILON:Y CHI:X"),
    ("GREEK SMALL LETTER", "OMICRON:O NU:V"),
)
_LOOKALIKES = {
    unicodedata.lookup(f"{prefix} {name}"): latin
    for prefix, pairs in _LOOKALIKE_NAMES
    for name, latin in (pair.split(":") for pair in pairs.split())
}
_MAX_REPORTED = 5


def _printable(char: str) -> str:
    return char if char.isprintable() else "?"


def _compact(text: str) -> str:
    """Drop whitespace, invisible characters and every kind of dash."""
    return "".join(
        c for c in text if not c.isspace() and c not in _INVISIBLE and c != "-" and c not in _DASHES
    )


def mask_key(text: object) -> str:
    """Mask a key for messages and logs: ``XXXXX-XXXXX-XXXXX-XXXXX-T83GX``.

    Never raises. Anything that is not text is masked completely; malformed text shows at most its
    last five characters (separators removed, unprintable characters as ``?``), padded with X.
    """
    if not isinstance(text, str):
        return "-".join([MASK_CHAR * GROUP_LENGTH] * GROUPS)
    tail = "".join(_printable(c) for c in _compact(text)[-GROUP_LENGTH:])
    hidden = [MASK_CHAR * GROUP_LENGTH] * (GROUPS - 1)
    return "-".join([*hidden, tail.rjust(GROUP_LENGTH, MASK_CHAR)])


def is_key(text: object) -> bool:
    """True when ``text`` is a key in canonical form (upper case, dashes, at most one N)."""
    return isinstance(text, str) and bool(_KEY_RE.fullmatch(text)) and text.count("N") <= 1


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def _character_problem(char: str) -> str | None:
    """Why ``char`` cannot be part of a key, or None when it can."""
    if char in KEY_ALPHABET or char == "N":
        return None
    if char in _NEVER_USED:
        return f"'{char}' ({_NEVER_USED[char]})"
    if char.isascii():
        shown = repr(char) if char.isprintable() else _describe(char)
        return f"{shown}, which is not a product-key character"
    folded = unicodedata.normalize("NFKC", char)
    latin = folded if folded.isascii() and folded.isalnum() else _LOOKALIKES.get(char)
    if latin:
        return (
            f"{_describe(char)}, which only looks like '{latin.upper()}': retype that character "
            "on a Latin keyboard layout"
        )
    return f"{_describe(char)}, which is not a product-key character"


def _split(compact_text: str, field_name: str, masked: str) -> list[str]:
    groups = _SEPARATOR_RE.split(compact_text)
    fix = "Write the key as five groups of five characters separated by dashes."
    if len(groups) == 1:
        only = groups[0]
        if len(only) == KEY_LENGTH:
            return [only[i : i + GROUP_LENGTH] for i in range(0, KEY_LENGTH, GROUP_LENGTH)]
        seps = {only[i] for i in (5, 11, 17, 23)} if len(only) == KEY_LENGTH + 4 else set()
        if len(seps) == 1 and not next(iter(seps)).isalnum():
            sep = _describe(next(iter(seps)))
            raise KmsInputError(
                field_name, f"the value ({masked}) separates its groups with {sep}.", fix
            )
        raise KmsInputError(
            field_name,
            f"the value ({masked}) has {len(only)} characters; a product key has {KEY_LENGTH}.",
            fix,
        )
    if len(groups) != GROUPS:
        raise KmsInputError(
            field_name,
            f"the value ({masked}) has {len(groups)} groups; a product key has {GROUPS}.",
            fix,
        )
    for number, group in enumerate(groups, start=1):
        if len(group) != GROUP_LENGTH:
            raise KmsInputError(
                field_name,
                f"group {number} of the value ({masked}) has {len(group)} characters; every group "
                f"has {GROUP_LENGTH}.",
                fix,
            )
    return groups


def normalize_key(text: object, field: str = "key") -> str:
    """Return ``text`` as a canonical key ``AAAAA-BBBBB-CCCCC-DDDDD-EEEEE`` or raise KmsInputError.

    Accepts surrounding blanks, lower case, typographic dashes, blanks around the dashes, groups
    separated by blanks, invisible format characters (zero-width space, BOM, soft hyphen) anywhere,
    and the 25 characters without separators. Messages show the value masked; they name a bad
    character only by itself, which is never part of a valid key.
    """
    if not isinstance(text, str):
        raise KmsInputError(
            field,
            f"must be a product key string, got {type(text).__name__}.",
            "Quote the key in YAML so it stays a string.",
        )
    masked = mask_key(text)
    stripped = text.translate(_DROP_INVISIBLE).strip()
    if not stripped:
        raise KmsInputError(field, "is empty.", "Give a 25-character product key.")
    groups = _split(stripped.translate(_TO_ASCII), field, masked)

    problems = []
    n_places = []
    for number, group in enumerate(groups, start=1):
        for place, char in enumerate(group, start=1):
            where = f"group {number} character {place}"
            if char == "N":
                n_places.append(where)
            problem = _character_problem(char)
            if problem:
                problems.append(f"{where} is {problem}")
    if problems:
        more = len(problems) - _MAX_REPORTED
        listed = "; ".join(problems[:_MAX_REPORTED]) + (f"; and {more} more" if more > 0 else "")
        raise KmsInputError(
            field,
            f"the value ({masked}) has characters a product key never uses: {listed}.",
            f"Check the key against its source; {_ALPHABET_TEXT}.",
        )
    if len(n_places) > 1:
        raise KmsInputError(
            field,
            f"the value ({masked}) contains the letter N {len(n_places)} times "
            f"({', '.join(n_places)}); a product key holds at most one N.",
            "Check the key against its source.",
        )
    return "-".join(groups)


@dataclass(frozen=True, repr=False)
class ProductKey:
    """A validated product key whose repr and str are masked, so it cannot leak into logs."""

    value: str

    def __post_init__(self) -> None:
        if not is_key(self.value):
            raise KmsInputError(
                "key",
                f"ProductKey needs a normalized key, got {mask_key(self.value)}.",
                "Build it with ProductKey.parse().",
            )

    @classmethod
    def parse(cls, text: object, field: str = "key") -> ProductKey:
        return cls(normalize_key(text, field))

    @property
    def partial(self) -> str:
        """The last group: what SoftwareLicensingProduct.PartialProductKey shows (§2.6)."""
        return self.value[-GROUP_LENGTH:]

    @property
    def masked(self) -> str:
        return mask_key(self.value)

    def __repr__(self) -> str:
        return f"ProductKey({self.masked!r})"

    def __str__(self) -> str:
        return self.masked
