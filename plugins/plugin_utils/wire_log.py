# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The opt-in wire log: every WS-Man exchange of a task written to a directory, secrets masked.

With ``VOLACT_KMS_WIRE_LOG=DIR`` in the controller's environment, each request and its reply go to
one file in DIR (``<UTC time>-<sequence>-<host>-<operation>.xml``), so an administrator can show
us what their Windows really answers (docs/wire-log.md). Only the SOAP envelopes are written: never
HTTP headers (Authorization). Product keys keep their last group, as in every other output; the
connection's password and the task's ``no_log`` values are removed. DIR is created 0700 when
missing and each file is written 0600.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import (
    escape_attr,
    escape_text,
    mask_secrets,
)

ENV = "VOLACT_KMS_WIRE_LOG"
REMOVED = "********"
REQUEST_MARK = "<!-- request -->"
RESPONSE_MARK = "<!-- response -->"
HEADER = (
    "<!-- volact.kms wire log: product keys masked to their last group, credentials removed -->"
)

_ACTION = re.compile(r"<(?:\w+:)?Action\b[^>]*>([^<]+)</")
_RESOURCE = re.compile(r"<(?:\w+:)?ResourceURI\b[^>]*>([^<]+)</")
_WQL_CLASS = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Send = Callable[..., Any]


def operation_of(request: str) -> str:
    """A short name for a request: ``Enumerate-SoftwareLicensingProduct``, ``InstallProductKey-
    SoftwareLicensingService``, ``Get-StdRegProv``, ``Pull``."""
    action = _ACTION.search(request)
    resource = _RESOURCE.search(request)
    verb = action.group(1).strip().rpartition("/")[2] if action else "unknown"
    uri = resource.group(1).strip() if resource else ""
    target = uri.rpartition("/")[2]
    if target == "*":  # a WQL enumeration names its class in the query, not in the URI
        found = _WQL_CLASS.search(request) if verb == "Enumerate" else None
        target = found.group(1) if found else ""
    return _safe(f"{verb}-{target}" if target else verb)


def no_log_values(spec: Mapping[str, Any], args: Mapping[str, Any]) -> set[str]:
    """The values of the options marked ``no_log``, at any depth of ``spec``."""
    found: set[str] = set()
    for name, option in spec.items():
        value = args.get(name)
        if value is None or not isinstance(option, Mapping):
            continue
        if option.get("no_log"):
            found.update(_strings(value))
        nested = option.get("options")
        if isinstance(nested, Mapping):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Mapping):
                    found |= no_log_values(nested, item)
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, (list, tuple, set)):
        return [s for item in value for s in _strings(item)]
    return [str(value)] if value is not None else []


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_")[:80] or "unknown"


class WireLog:
    """Writes one file per exchange for one task on one host."""

    def __init__(self, directory: Path, host: str, secrets: Iterable[str] = ()) -> None:
        self.directory = directory
        self.host = _safe(host)
        # Longest first: a secret that contains another must go before the shorter one is cut out.
        # The escaped forms too, since a secret may sit in the XML with & or < escaped.
        forms = {f for s in secrets if s for f in (s, escape_text(s), escape_attr(s))}
        self._secrets = sorted(forms, key=len, reverse=True)
        self._sequence = 0
        self.problems: list[str] = []

    @classmethod
    def from_environment(
        cls,
        host: str,
        secrets: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> WireLog | None:
        """The log ``VOLACT_KMS_WIRE_LOG`` asks for, its directory ready; None when unset."""
        value = (os.environ if environ is None else environ).get(ENV, "").strip()
        if not value:
            return None
        directory = Path(value).expanduser()
        try:
            if not directory.is_dir():
                directory.mkdir(mode=0o700, parents=True)
                directory.chmod(0o700)  # mkdir's mode is cut by the umask
        except OSError as exc:
            raise KmsInputError(
                ENV,
                f"the wire log directory {value!r} cannot be created ({exc.strerror})",
                "Point it to a directory you can write to, or unset it.",
            ) from None
        return cls(directory, host, secrets)

    def mask(self, text: str) -> str:
        # Keys first, so a key given as a no_log option still shows its masked form.
        text = mask_secrets(text)
        for secret in self._secrets:
            text = text.replace(secret, REMOVED)
        return text

    def wrap(self, send: Send) -> Send:
        """``send`` with every exchange written to the log (also when it raises)."""

        def logged(xml: str, **kwargs: Any) -> Any:
            try:
                reply = send(xml, **kwargs)
            except BaseException as exc:
                self.record(xml, None, exc)
                raise
            self.record(xml, reply, None)
            return reply

        return logged

    def record(self, request: str, reply: Any, error: BaseException | None) -> Path | None:
        """Write one exchange; a failure to write is kept in ``problems``, never raised."""
        self._sequence += 1
        parts = [HEADER, REQUEST_MARK, self.mask(request).strip()]
        if error is None:
            parts += [RESPONSE_MARK, self.mask(_text(reply)).strip()]
        else:
            said = self.mask(f"{type(error).__name__}: {error}").replace("--", "- -")
            parts.append(f"<!-- no response: {said} -->")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{self._sequence:03d}-{self.host}-{operation_of(request)}.xml"
        path = self.directory / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write("\n".join(parts) + "\n")
        except OSError as exc:
            self.problems.append(f"{ENV}: {path} could not be written ({exc.strerror})")
            return None
        return path


def _text(reply: Any) -> str:
    if isinstance(reply, str):
        return reply
    if isinstance(reply, (bytes, bytearray)):
        data = bytes(reply)
        # WinRM answers in UTF-8; a UTF-16 body announces itself with a byte order mark.
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16", "replace")
        return data.decode("utf-8", "replace")
    return repr(reply)
