# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small, strict WQL parser for the queries our clients send (wsman-wire §1.2, §4.2).

Grammar (keywords, class and property names case-insensitive)::

    query     := SELECT ( '*' | name (',' name)* ) FROM name [ WHERE expr ]
    expr      := term ( OR term )*
    term      := factor ( AND factor )*
    factor    := NOT factor | '(' expr ')' | predicate
    predicate := name IS [NOT] NULL | name LIKE string | operand op operand
    op        := '=' | '<>' | '!=' | '<' | '>' | '<=' | '>='
    operand   := name | string | number | TRUE | FALSE | NULL

Strings take single or double quotes with backslash escapes (``\\'``, ``\\"``, ``\\\\``).
One side of a comparison must be a property and the other a constant. ``= NULL`` and ``<> NULL``
mean ``IS NULL`` / ``IS NOT NULL``: slmgr.vbs queries ``PartialProductKey <> null`` (§1.2).
LIKE is accepted because scripts match ``Description LIKE '%KMSCLIENT%'`` (wsman-wire §4.2).
Anything else (ASSOCIATORS OF, ISA, GROUP BY, ...) is an invalid query, as in WMI.
Evaluation lives in ``wql_eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .wql_ast import (
    And,
    Compare,
    Expr,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    Query,
    WqlError,
    quote,
    render,
    render_expr,
)

KEYWORDS = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "LIKE"}
)
# WQL words we refuse with a clear message instead of a confusing syntax error.
UNSUPPORTED = frozenset(
    {"ASSOCIATORS", "REFERENCES", "OF", "ISA", "KEYSONLY", "WITHIN", "GROUP", "HAVING", "BY"}
)
COMPARISONS = ("=", "<>", "!=", "<=", ">=", "<", ">")
FLIPPED = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, number, op, punct, end
    text: str
    value: Literal
    position: int


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}


def _read_string(text: str, start: int) -> tuple[str, int]:
    mark = text[start]
    out = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text) or text[index + 1] not in _ESCAPES:
                raise WqlError("unknown escape in string literal", index)
            out.append(_ESCAPES[text[index + 1]])
            index += 2
        elif char == mark:
            return "".join(out), index + 1
        else:
            out.append(char)
            index += 1
    raise WqlError("unterminated string literal", start)


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "'\"":
            value, end = _read_string(text, index)
            tokens.append(_Token("string", text[index:end], value, index))
            index = end
        elif (match := _NUMBER.match(text, index)) is not None:
            literal = match.group()
            is_float = any(c in literal for c in ".eE")
            tokens.append(
                _Token("number", literal, float(literal) if is_float else int(literal), index)
            )
            index = match.end()
        elif (match := _WORD.match(text, index)) is not None:
            tokens.append(_Token("word", match.group(), None, index))
            index = match.end()
        elif (op := next((o for o in COMPARISONS if text.startswith(o, index)), None)) is not None:
            tokens.append(_Token("op", op, None, index))
            index += len(op)
        elif char in ",*()":
            tokens.append(_Token("punct", char, None, index))
            index += 1
        else:
            raise WqlError(f"unexpected character {char!r}", index)
    tokens.append(_Token("end", "", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() == word

    def expect_keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            token = self.peek()
            raise WqlError(
                f"expected {word}, found {token.text or 'end of query'!r}", token.position
            )
        self.take()

    def expect_punct(self, char: str) -> None:
        token = self.take()
        if token.kind != "punct" or token.text != char:
            raise WqlError(
                f"expected {char!r}, found {token.text or 'end of query'!r}", token.position
            )

    def name(self, what: str) -> str:
        token = self.take()
        upper = token.text.upper()
        if token.kind != "word" or upper in KEYWORDS:
            raise WqlError(
                f"expected {what}, found {token.text or 'end of query'!r}", token.position
            )
        if upper in UNSUPPORTED:
            raise WqlError(f"{token.text} is not supported by this lab", token.position)
        return token.text

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        properties: tuple[str, ...] | None
        if self.peek().text == "*":
            self.take()
            properties = None
        else:
            names = [self.name("a property name")]
            while self.peek().text == ",":
                self.take()
                names.append(self.name("a property name"))
            properties = tuple(names)
        self.expect_keyword("FROM")
        class_name = self.name("a class name")
        where = None
        if self.is_keyword("WHERE"):
            self.take()
            where = self.expr()
        token = self.peek()
        if token.kind != "end":
            raise WqlError(f"unexpected {token.text!r}", token.position)
        return Query(class_name, properties, where)

    def expr(self) -> Expr:
        operands = [self.term()]
        while self.is_keyword("OR"):
            self.take()
            operands.append(self.term())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def term(self) -> Expr:
        operands = [self.factor()]
        while self.is_keyword("AND"):
            self.take()
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def factor(self) -> Expr:
        if self.is_keyword("NOT"):
            self.take()
            return Not(self.factor())
        if self.peek().text == "(":
            self.take()
            inner = self.expr()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def operand(self) -> tuple[str, Literal, bool]:
        """(property name or "", constant, is_property)."""
        token = self.peek()
        if token.kind in ("string", "number"):
            self.take()
            return "", token.value, False
        for word, value in (("TRUE", True), ("FALSE", False), ("NULL", None)):
            if self.is_keyword(word):
                self.take()
                return "", value, False
        return self.name("a property or a constant"), None, True

    def predicate(self) -> Expr:
        start = self.peek().position
        left_name, left_value, left_is_prop = self.operand()
        if left_is_prop and self.is_keyword("IS"):
            self.take()
            negated = self.is_keyword("NOT")
            if negated:
                self.take()
            self.expect_keyword("NULL")
            return IsNull(left_name, negated)
        if left_is_prop and self.is_keyword("LIKE"):
            self.take()
            token = self.take()
            if token.kind != "string":
                raise WqlError("LIKE needs a string pattern", token.position)
            return Like(left_name, str(token.value))
        token = self.take()
        if token.kind != "op":
            raise WqlError(
                f"expected a comparison, found {token.text or 'end of query'!r}", token.position
            )
        op = "<>" if token.text == "!=" else token.text
        right_name, right_value, right_is_prop = self.operand()
        if left_is_prop == right_is_prop:
            raise WqlError("a comparison needs one property and one constant", start)
        prop, value = (left_name, right_value) if left_is_prop else (right_name, left_value)
        if not left_is_prop:
            op = FLIPPED[op]
        if value is None:
            if op not in ("=", "<>"):
                raise WqlError("NULL can only be compared with = or <>", start)
            return IsNull(prop, negated=op == "<>")
        return Compare(prop, op, value)


def parse(text: str) -> Query:
    """Parse one WQL SELECT statement or raise :class:`WqlError`."""
    return _Parser(text).query()


__all__ = [
    "COMPARISONS",
    "KEYWORDS",
    "UNSUPPORTED",
    "And",
    "Compare",
    "Expr",
    "IsNull",
    "Like",
    "Not",
    "Or",
    "Query",
    "WqlError",
    "parse",
    "quote",
    "render",
    "render_expr",
    "tokenize",
]
