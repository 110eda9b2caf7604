# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors shared by the whole collection.

Every check on user input raises :class:`KmsInputError` before anything is sent to a host, so a task
fails with a message that names the offending field and says how to fix it.
"""

from __future__ import annotations


class KmsError(Exception):
    """Base class of every error this collection raises on purpose."""


class KmsInputError(KmsError, ValueError):
    """Input that cannot be used, detected before any host is touched.

    ``field`` is the option as the user wrote it (``key``, ``domains[2].priority``), ``problem``
    says what is wrong, ``fix`` what to do instead. Messages never carry a secret in clear: callers
    pass masked values only.
    """

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.field}: {self.problem}"
        if self.fix:
            text = f"{text} {self.fix}"
        return text

    def __str__(self) -> str:
        return self.message
