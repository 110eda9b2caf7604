# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every volact.kms filter does with the core's input errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError


def explained(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the core's input errors into filter errors that say which filter refused what."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except KmsInputError as error:
            raise AnsibleFilterError(f"{name}: {error}") from None

    return wrapper


def filter_table(table: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    return {name: explained(name, function) for name, function in table.items()}
