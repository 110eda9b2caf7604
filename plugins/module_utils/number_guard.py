# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Numbers that ansible-core's own argument checks cannot handle, refused before them.

ansible-core 2.19 converts ``type: int`` options through ``decimal.Decimal``
(``ansible.module_utils.common.validation.check_type_int``). Two inputs break that:

* ``inf``, ``-inf``, ``Infinity`` (or a YAML float that overflowed to infinity): ``int()`` raises
  ``OverflowError``, which the check does not catch, so the task ends in a traceback instead of an
  error naming the option (fixed upstream in ansible/ansible pull request 87253);
* a huge exponent such as ``1e2000000``: ``int()`` builds a two-million-digit number, which takes
  minutes of CPU (measured: 207 s on the project's test box) before any check can say "too big".

:func:`unusable_number` finds such a value in task arguments, so the caller can refuse it with a
:class:`KmsInputError` that names the option, before ansible-core looks at it.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# No option of this collection takes a number anywhere near 10**30; anything larger is refused
# before Python builds it.
MAX_DIGITS = 30
_INTEGER_TYPES = ("int",)


def _problem(value: object) -> str | None:
    """Why ``value`` would break ansible-core's int conversion, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a finite number."
    if not isinstance(value, str):
        return None
    try:
        number = decimal.Decimal(value.strip())
    except (decimal.InvalidOperation, ValueError):
        return None  # ansible-core reports these itself, naming the option
    if number.is_infinite():
        return f"{value.strip()[:20]!r} is infinite, not a whole number."
    if number.is_finite() and number.adjusted() >= MAX_DIGITS:
        return f"{value.strip()[:20]!r} has more than {MAX_DIGITS} digits."
    return None


def _in_elements(option: Mapping[str, Any], value: object, field: str) -> KmsInputError | None:
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        return None
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if option.get("elements") in _INTEGER_TYPES:
            problem = _problem(item)
            if problem is not None:
                return _error(where, problem)
        suboptions = option.get("options")
        if isinstance(suboptions, Mapping) and isinstance(item, Mapping):
            found = unusable_number(suboptions, item, f"{where}.")
            if found is not None:
                return found
    return None


def _error(field: str, problem: str) -> KmsInputError:
    return KmsInputError(field, problem, "Give a whole number, written with digits only.")


def unusable_number(
    spec: Mapping[str, Any], params: Mapping[str, Any], prefix: str = ""
) -> KmsInputError | None:
    """The first ``type: int`` value in ``params`` that ansible-core cannot convert safely.

    ``spec`` is a module's argument spec (suboptions of lists and dicts are followed); the field
    is named as the user wrote it (``records[2].port``). Returns None when every value is safe.
    """
    if not isinstance(params, Mapping):
        return None
    for name, option in spec.items():
        if name not in params or not isinstance(option, Mapping):
            continue
        value, field = params[name], f"{prefix}{name}"
        if option.get("type") in _INTEGER_TYPES:
            problem = _problem(value)
            if problem is not None:
                return _error(field, problem)
        elif option.get("type") == "list":
            found = _in_elements(option, value, field)
            if found is not None:
                return found
        elif option.get("type") == "dict" and isinstance(option.get("options"), Mapping):
            found = unusable_number(option["options"], value, f"{field}.")
            if found is not None:
                return found
    return None


def as_raw(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with every number option typed ``raw``: enough for AnsibleModule to start and
    report the refusal (``no_log`` and everything else kept)."""
    result: dict[str, Any] = {}
    for name, option in spec.items():
        copy = dict(option)
        if copy.get("type") in (*_INTEGER_TYPES, "float"):
            copy["type"] = "raw"
        if copy.get("elements") in (*_INTEGER_TYPES, "float"):
            copy["elements"] = "raw"
        if isinstance(copy.get("options"), Mapping):
            copy["options"] = as_raw(copy["options"])
        result[name] = copy
    return result
