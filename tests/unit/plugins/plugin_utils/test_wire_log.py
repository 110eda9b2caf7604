# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The opt-in wire log: one private file per exchange, secrets masked or removed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.wsman import messages as wsman
from ansible_collections.volact.kms.plugins.plugin_utils.wire_log import (
    ENV,
    REMOVED,
    REQUEST_MARK,
    RESPONSE_MARK,
    WireLog,
    no_log_values,
    operation_of,
)

KEY = "NPPR9-FWDCX-D2C8J-H872K-2YT43"
PASSWORD = "p<ss&w0rd-LAB"
REPLY = b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def install_key() -> str:
    return wsman.invoke_request(
        "SoftwareLicensingService", "InstallProductKey", {"ProductKey": KEY}, {"Version": "10.0"}
    ).xml


def test_operations_are_named_from_the_request() -> None:
    query = wsman.enumerate_request("root/cimv2", "SELECT ID FROM SoftwareLicensingProduct").xml
    assert operation_of(query) == "Enumerate-SoftwareLicensingProduct"
    assert operation_of(install_key()) == "InstallProductKey-SoftwareLicensingService"
    assert operation_of(wsman.get_request("StdRegProv", None, "root/default").xml) == (
        "Get-StdRegProv"
    )
    assert operation_of(wsman.pull_request("ctx").xml) == "Pull"
    assert operation_of("not xml") == "unknown"


def test_unset_means_no_log(tmp_path: Path) -> None:
    assert WireLog.from_environment("kms1", environ={}) is None
    assert WireLog.from_environment("kms1", environ={ENV: " "}) is None


def test_the_directory_is_created_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "wire"
    previous = os.umask(0o022)
    try:
        log = WireLog.from_environment("kms1", environ={ENV: str(target)})
    finally:
        os.umask(previous)
    assert log is not None
    assert mode(target) == 0o700


def test_an_unusable_directory_fails_before_anything_is_sent(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(KmsInputError, match=ENV):
        WireLog.from_environment("kms1", environ={ENV: str(blocker / "wire")})


def test_each_exchange_is_one_private_file_with_secrets_masked(tmp_path: Path) -> None:
    log = WireLog(tmp_path, "kms1.corp/x", [PASSWORD, KEY])
    sent: list[str] = []

    def send(xml: str, **kwargs: object) -> bytes:
        sent.append(xml)
        return REPLY.replace(b"<s:Body/>", f"<s:Body>{PASSWORD}{KEY.lower()}</s:Body>".encode())

    logged = log.wrap(send)
    request = install_key().replace("<env:Body>", "<env:Body><!-- p&lt;ss&amp;w0rd-LAB -->")
    assert "p&lt;ss&amp;w0rd-LAB" in request  # the password as XML escapes it
    reply = logged(request)
    logged(request, operation_timeout=120)
    assert sent == [request, request]  # what goes on the wire is untouched
    assert KEY.lower().encode() in reply
    files = sorted(tmp_path.iterdir())
    assert [f.name.split("-", 2)[1:] for f in files] == [
        ["001", "kms1.corp_x-InstallProductKey-SoftwareLicensingService.xml"],
        ["002", "kms1.corp_x-InstallProductKey-SoftwareLicensingService.xml"],
    ]
    for path in files:
        assert mode(path) == 0o600
        text = path.read_text(encoding="utf-8")
        assert KEY[:17].lower() not in text.lower()
        assert "XXXXX-XXXXX-XXXXX-XXXXX-2YT43" in text
        assert "XXXXX-XXXXX-XXXXX-XXXXX-2yt43" in text
        assert PASSWORD not in text
        assert "p&lt;ss&amp;w0rd" not in text
        assert REMOVED in text
        assert text.index(REQUEST_MARK) < text.index(RESPONSE_MARK)


def test_a_failed_exchange_is_logged_and_the_error_passes_through(tmp_path: Path) -> None:
    log = WireLog(tmp_path, "kms1", [PASSWORD])

    def send(xml: str) -> bytes:
        raise ConnectionError(f"refused for {PASSWORD} -- retry")

    with pytest.raises(ConnectionError):
        log.wrap(send)(install_key())
    (path,) = tmp_path.iterdir()
    text = path.read_text(encoding="utf-8")
    assert RESPONSE_MARK not in text
    assert f"<!-- no response: ConnectionError: refused for {REMOVED} - - retry -->" in text


def test_a_file_that_cannot_be_written_becomes_a_problem_not_an_error(tmp_path: Path) -> None:
    log = WireLog(tmp_path / "gone", "kms1")
    assert log.wrap(lambda xml: REPLY)(install_key()) == REPLY
    assert len(log.problems) == 1
    assert ENV in log.problems[0]


def test_a_utf16_reply_is_logged_as_text(tmp_path: Path) -> None:
    log = WireLog(tmp_path, "kms1")
    log.wrap(lambda xml: REPLY.decode().encode("utf-16"))(install_key())
    (path,) = tmp_path.iterdir()
    assert "<s:Body/>" in path.read_text(encoding="utf-8")


def test_no_log_values_are_found_at_any_depth() -> None:
    spec = {
        "key": {"type": "str", "no_log": True},
        "name": {"type": "str"},
        "hosts": {
            "type": "list",
            "elements": "dict",
            "options": {"secret": {"no_log": True}, "port": {"type": "int"}},
        },
        "auth": {"type": "dict", "options": {"password": {"no_log": True}}},
    }
    args = {
        "key": KEY,
        "name": "n",
        "hosts": [{"secret": "s1", "port": 1}, {"secret": None}],
        "auth": {"password": "pw"},
    }
    assert no_log_values(spec, args) == {KEY, "s1", "pw"}
    assert no_log_values(spec, {}) == set()
