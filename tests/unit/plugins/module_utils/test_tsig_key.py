# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for TSIG keys: names, algorithms, secrets, and BIND key files."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.tsig import (
    ALGORITHMS,
    TsigKey,
    check_secret,
    choose_key,
    make_key,
    normalize_algorithm,
    normalize_key_name,
    parse_key_file,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def key_text(name: str, algorithm: str, secret: str) -> str:
    return f'key "{name}" {{\n\talgorithm {algorithm};\n\tsecret "{secret}";\n}};\n'


def test_make_key_defaults_to_hmac_sha256_and_hides_the_secret() -> None:
    key = make_key("KMS-Update", f"  {SECRET}\n")
    assert key == TsigKey("kms-update.", "hmac-sha256", SECRET)
    assert key.wire_algorithm == "hmac-sha256"
    assert SECRET not in repr(key)
    assert make_key("k.", SECRET, "hmac-md5").wire_algorithm == "HMAC-MD5.SIG-ALG.REG.INT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HMAC-SHA512", "hmac-sha512"),
        ("hmac-md5.sig-alg.reg.int.", "hmac-md5"),
        (" hmac-sha1 ", "hmac-sha1"),
    ],
)
def test_algorithm_names(text: str, expected: str) -> None:
    assert normalize_algorithm(text) == expected


@pytest.mark.parametrize("text", ["md5", "hmac-sha3", "gss-tsig", "", None, 256])
def test_unknown_algorithms_are_refused_with_the_list(text: object) -> None:
    with pytest.raises(KmsInputError) as caught:
        normalize_algorithm(text)
    assert caught.value.field == "key_algorithm"
    assert "hmac-sha256" in caught.value.fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [("kms-update", "kms-update."), ("Kms_Update.Example.", "kms_update.example.")],
)
def test_key_names(text: str, expected: str) -> None:
    assert normalize_key_name(text) == expected


@pytest.mark.parametrize("text", ["", " ", "kms update", "kms..update", "a" * 64, "k\u00e9y", None])
def test_bad_key_names(text: object) -> None:
    with pytest.raises(KmsInputError) as caught:
        normalize_key_name(text)
    assert caught.value.field == "key_name"


@pytest.mark.parametrize("secret", ["not base64!", "abc", "====", "", "c2Vj cmV0"])
@pytest.mark.reliability("secrets")
def test_bad_secrets_are_described_never_shown(secret: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        check_secret(secret)
    assert caught.value.field == "key_secret"
    if secret.strip():
        assert secret not in str(caught.value)
        assert "not shown" in caught.value.problem


def test_parses_the_file_tsig_keygen_writes() -> None:
    text = (
        "# made by tsig-keygen\n"
        + key_text("kms-update.", "hmac-sha256", SECRET)
        + "/* a second key */\n"
        + 'key other-key { secret "'
        + SECRET
        + '"; algorithm HMAC-SHA512; }; // trailing\n'
    )
    keys = parse_key_file(text)
    assert keys == (
        TsigKey("kms-update.", "hmac-sha256", SECRET),
        TsigKey("other-key.", "hmac-sha512", SECRET),
    )


def tsig_keygen() -> str:
    # bind9 is in bindep.txt's test profile, which scripts/setup installs; /usr/sbin is often not
    # on an unprivileged user's PATH, so look there too.
    found = shutil.which("tsig-keygen") or shutil.which("tsig-keygen", path="/usr/sbin")
    if found is None:
        pytest.fail("tsig-keygen (bind9) is not installed: run scripts/setup test (bindep.txt)")
    return found


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sha512", "hmac-md5"])
def test_parses_real_tsig_keygen_output(algorithm: str) -> None:
    out = subprocess.run(
        [tsig_keygen(), "-a", algorithm, "kms-update.example"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (key,) = parse_key_file(out)
    assert key.name == "kms-update.example."
    assert key.algorithm == algorithm
    assert f'secret "{key.secret}";' in out


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "holds no key statement"),
        ("# only a comment\n", "holds no key statement"),
        ('options { directory "/tmp"; };', 'expected a key statement, found "options"'),
        ('key "k" { algorithm hmac-sha256; };', 'key "k." (line 1) has no secret'),
        ('key "k" { secret "' + SECRET + '" };', 'expected ";" at line 1'),
        ('key "k" { secret "' + SECRET + '"; }', 'expected ";" at the end of the file'),
        ('key "k" { owner x; };', 'unknown clause "owner"'),
        ('key "k" { secret "' + SECRET + '"; algorithm hmac-sha3; };', "not a TSIG algorithm"),
        ('key "k" {\n secret "' + SECRET + '"; };\n"open', "line 3: unexpected character '\"'"),
    ],
)
def test_broken_key_files_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        parse_key_file(text)
    assert caught.value.field.startswith("key_file")
    assert problem in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.reliability("secrets")
def test_a_bad_secret_in_a_file_is_not_shown() -> None:
    broken = "QUJD@RUY="
    with pytest.raises(KmsInputError) as caught:
        parse_key_file(key_text("k.", "hmac-sha256", broken))
    assert caught.value.field == "key_file (key k. secret)"
    assert broken not in str(caught.value)


def test_choose_key() -> None:
    first = TsigKey("a.", "hmac-sha256", SECRET)
    second = TsigKey("b.", "hmac-sha512", SECRET)
    assert choose_key((first,), None, None) is first
    assert choose_key((first, second), "B", "hmac-sha512") is second
    with pytest.raises(KmsInputError, match=r"^key_name: the key file holds 2 keys \(a\., b\.\)"):
        choose_key((first, second), None, None)
    with pytest.raises(KmsInputError, match=r'^key_name: "c\." is not in the key file'):
        choose_key((first, second), "c", None)
    with pytest.raises(KmsInputError, match=r"^key_algorithm: is hmac-md5 but the key file says"):
        choose_key((first,), None, "hmac-md5")


names = st.from_regex(r"[a-z0-9_-]{1,20}(\.[a-z0-9_-]{1,20}){0,3}\.?", fullmatch=True)
secrets = st.binary(min_size=1, max_size=64).map(lambda raw: base64.b64encode(raw).decode())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(names, st.sampled_from(sorted(ALGORITHMS)), secrets), min_size=1, max_size=4
    ),
    st.sampled_from(["\n", "\n\n# c\n", " /* x */ ", "// y\n"]),
)
def test_key_files_round_trip(keys: list[tuple[str, str, str]], separator: str) -> None:
    text = separator.join(key_text(name, alg, secret) for name, alg, secret in keys)
    parsed = parse_key_file(text)
    assert [(k.name, k.algorithm, k.secret) for k in parsed] == [
        (normalize_key_name(name), alg, secret) for name, alg, secret in keys
    ]
