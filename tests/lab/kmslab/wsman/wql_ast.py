# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsed form of a WQL query, and its rendering back to text (used by the property tests)."""

from __future__ import annotations

from dataclasses import dataclass

Literal = str | int | float | bool | None


class WqlError(ValueError):
    """The query is not valid WQL (WMI answers WBEM_E_INVALID_QUERY)."""

    def __init__(self, problem: str, position: int | None = None) -> None:
        self.problem = problem
        self.position = position
        where = "" if position is None else f" at offset {position}"
        super().__init__(f"{problem}{where}")


@dataclass(frozen=True)
class Compare:
    prop: str
    op: str  # one of = <> < > <= >= ("!=" is normalised to "<>")
    value: str | int | float | bool


@dataclass(frozen=True)
class IsNull:
    prop: str
    negated: bool


@dataclass(frozen=True)
class Like:
    prop: str
    pattern: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Compare | IsNull | Like | Not | And | Or


@dataclass(frozen=True)
class Query:
    class_name: str
    properties: tuple[str, ...] | None  # None: SELECT *
    where: Expr | None

    def referenced(self) -> tuple[str, ...]:
        """Every property name the query mentions (select list, then WHERE)."""
        names = list(self.properties or ())
        stack = [self.where] if self.where is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, And | Or):
                stack.extend(node.operands)
            elif isinstance(node, Not):
                stack.append(node.operand)
            else:
                names.append(node.prop)
        return tuple(names)


def quote(value: str) -> str:
    """A WQL string literal for ``value`` (single quotes, backslash escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(query: Query) -> str:
    """WQL text for a parsed query; ``parse(render(q)) == q`` (used by the property tests)."""
    select = "*" if query.properties is None else ", ".join(query.properties)
    text = f"SELECT {select} FROM {query.class_name}"
    if query.where is not None:
        text += f" WHERE {render_expr(query.where)}"
    return text


def render_expr(expr: Expr) -> str:
    if isinstance(expr, Or):
        return " OR ".join(f"({render_expr(item)})" for item in expr.operands)
    if isinstance(expr, And):
        return " AND ".join(f"({render_expr(item)})" for item in expr.operands)
    if isinstance(expr, Not):
        return f"NOT ({render_expr(expr.operand)})"
    if isinstance(expr, IsNull):
        return f"{expr.prop} IS {'NOT ' if expr.negated else ''}NULL"
    if isinstance(expr, Like):
        return f"{expr.prop} LIKE {quote(expr.pattern)}"
    value = expr.value
    if isinstance(value, bool):
        constant = "TRUE" if value else "FALSE"
    elif isinstance(value, str):
        constant = quote(value)
    else:
        constant = repr(value)
    return f"{expr.prop} {expr.op} {constant}"
