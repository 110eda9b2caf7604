"""Bad input to every module is refused, naming the option, before anything is sent.

Each Windows module's real action plugin runs (its own ``ActionModule.run``): ``number_guard``,
the argument spec (``ArgumentSpecValidator`` with the module's ``ARGUMENT_SPEC`` and
``SPEC_OPTIONS``), then the plugin's ``validate()``. Its connection is a recorder
that is neither winrm nor psrp: input that passes every check reaches ``sender_for`` (the recorder
counts that) and fails there, so "accepted" and "refused" are told apart without any host.
``kms_srv_record`` runs its real ``main()`` with the arguments, against a TCP listener that counts
connections: refused input never connects.

Every example starts from a valid task and breaks exactly one thing (a malformed or look-alike
key, a GVLK where a host key belongs, a wrong type, a number out of range, a bad domain name, a
duplicate entry, an unknown option...). Each must be refused with AnsibleActionFail (or
``fail_json`` without a DNS error), the message must name the option, never show a key in clear,
and nothing else may be raised. Examples are derandomized: the same cases every run.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils.testing import patch_module_args
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.modules import (
    kms_activation_info,
    kms_client_setup_key,
    kms_host_key,
    kms_publish_list,
    kms_srv_record,
)

pytestmark = pytest.mark.reliability("bad_input")

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
HOST_KEY = "BCDFG-HJKMP-QRTVW-XY234-6789B"  # well formed, not a published GVLK
WINDOWS_GVLK = gvlk.lookup("Windows 11/10 (GA channel)", "Pro").key
TSIG_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="


# --- running the real validation path ----------------------------------------------------------


class Recorder:
    """Stands where the task's winrm/psrp connection would be; counts every use."""

    ansible_name = "volact.reliability.recorder"

    class _Shell:
        tmpdir = None

    _shell = _Shell()

    def __init__(self) -> None:
        self.uses = 0

    @property
    def transport(self) -> str:
        self.uses += 1  # sender_for reads this first: the input passed every check
        return "recorder"


@dataclass
class FakeTask:
    """What ActionBase.run and validate_argument_spec read from a task."""

    action: str
    args: dict[str, Any]
    async_val: int = 0
    check_mode: bool = False
    diff: bool = False


@dataclass(frozen=True)
class Outcome:
    refused: bool
    message: str


def run_action(module: str, args: dict[str, Any]) -> Outcome:
    # The plugin's own class, as action_loader would hand it to TaskExecutor (the loader itself
    # cannot be used here: the tests import ansible_collections before its finder exists).
    path = f"ansible_collections.volact.kms.plugins.action.{module}"
    recorder = Recorder()
    loader = DataLoader()
    action = importlib.import_module(path).ActionModule(
        FakeTask(f"volact.kms.{module}", args),
        recorder,
        PlayContext(),
        loader,
        Templar(loader=loader),
        None,
    )
    action._load_name = path  # what action_loader sets; named in "Unsupported parameters"
    try:
        result = action.run(task_vars={})
    except AnsibleActionFail as failure:
        assert recorder.uses == 0, "refused only after the connection was used"
        return Outcome(True, str(failure))
    assert recorder.uses == 1, result
    assert str(result.get("msg", "")).startswith("ansible_connection:"), result
    return Outcome(False, "")


class ConnectionCounter:
    """A TCP port that counts connections and closes each at once (an unusable DNS server)."""

    def __init__(self) -> None:
        self.count = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _address = self.sock.accept()
            except OSError:
                return
            self.count += 1
            client.close()


@pytest.fixture(scope="module")
def dns_counter() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.sock.close()


def run_srv_module(args: dict[str, Any]) -> dict[str, Any]:
    out = io.StringIO()
    # _ansible_no_log: no syslog line per example; the result itself is not censored by it.
    with (
        patch_module_args({**args, "_ansible_no_log": True}),
        contextlib.redirect_stdout(out),
        pytest.raises(SystemExit),
    ):
        kms_srv_record.main()
    return json.loads(out.getvalue())


# --- invalid values ----------------------------------------------------------------------------

LOOKALIKES = {
    "B": "\u0412",  # CYRILLIC CAPITAL LETTER VE
    "C": "\u0421",  # CYRILLIC CAPITAL LETTER ES
    "K": "\u041a",  # CYRILLIC CAPITAL LETTER KA
    "M": "\u041c",  # CYRILLIC CAPITAL LETTER EM
    "P": "\u0420",  # CYRILLIC CAPITAL LETTER ER
    "T": "\u0422",  # CYRILLIC CAPITAL LETTER TE
    "X": "\u0425",  # CYRILLIC CAPITAL LETTER HA
    "Y": "\u03a5",  # GREEK CAPITAL LETTER UPSILON
    "2": "\uff12",  # FULLWIDTH DIGIT TWO
    "7": "\uff17",  # FULLWIDTH DIGIT SEVEN
}
NAME_LOOKALIKES = {
    "o": "\u043e",  # CYRILLIC SMALL LETTER O
    "a": "\u0430",  # CYRILLIC SMALL LETTER A
    "e": "\u0435",  # CYRILLIC SMALL LETTER IE
    "c": "\u0441",  # CYRILLIC SMALL LETTER ES
    "p": "\u0440",  # CYRILLIC SMALL LETTER ER
    "x": "\u0445",  # CYRILLIC SMALL LETTER HA
    "i": "\u0456",  # CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    ".": "\u3002",  # IDEOGRAPHIC FULL STOP
    "-": "\u2010",  # HYPHEN
}
KEY_CHARS = "BCDFGHJKMPQRTVWXY2346789"
NEVER_IN_KEYS = "AEIOULSZ015!@#_/+=.:;?"


@st.composite
def malformed_keys(draw: st.DrawFn) -> str:
    groups = [draw(st.text(KEY_CHARS, min_size=5, max_size=5)) for _group in range(5)]
    how = draw(st.sampled_from(["bad char", "short group", "long group", "groups", "two N"]))
    event(f"malformed key: {how}")
    if how == "bad char":
        group, place = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        bad = draw(st.sampled_from(NEVER_IN_KEYS))
        groups[group] = groups[group][:place] + bad + groups[group][place + 1 :]
    elif how == "short group":
        index = draw(st.integers(0, 4))
        groups[index] = groups[index][: draw(st.integers(0, 4))]
    elif how == "long group":
        groups[draw(st.integers(0, 4))] += draw(st.text(KEY_CHARS, min_size=1, max_size=3))
    elif how == "groups":
        count = draw(st.sampled_from([1, 2, 3, 4, 6, 7]))
        groups = (groups * 2)[:count]
        if count == 1:
            groups[0] = groups[0][:4]  # 25 characters in one group would be a valid key
    else:
        groups[0] = "N" + groups[0][1:]
        groups[1] = "N" + groups[1][1:]
    return "-".join(groups)


@st.composite
def lookalike_keys(draw: st.DrawFn, base: str) -> str:
    places = [index for index, char in enumerate(base) if char in LOOKALIKES]
    index = draw(st.sampled_from(places))
    return base[:index] + LOOKALIKES[base[index]] + base[index + 1 :]


@st.composite
def lookalike_names(draw: st.DrawFn, base: str) -> str:
    places = [index for index, char in enumerate(base) if char in NAME_LOOKALIKES]
    index = draw(st.sampled_from(places))
    return base[:index] + NAME_LOOKALIKES[base[index]] + base[index + 1 :]


@st.composite
def bad_names(draw: st.DrawFn) -> str:
    """Domain names no DNS publishing accepts (dnsname.normalize_domain's rules)."""
    label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
    good = f"{draw(label)}.{draw(label)}.example"

    def bad_char() -> str:
        char = draw(st.sampled_from("_!*/\\@,;:\"'()[]{}<>%$#&+=?~`|^"))
        at = draw(st.integers(0, len(good) - 1))
        return good[:at] + char + good[at + 1 :]

    builders: dict[str, Callable[[], str]] = {
        "single label": lambda: draw(label),
        "bad char": bad_char,
        "inner blank": lambda: f"{draw(label)} {good}",
        "empty label": lambda: good.replace(".", "..", 1),
        "long label": lambda: "a" * draw(st.integers(64, 80)) + ".example",
        "long name": lambda: ".".join(["a" * 60] * 5),
        "hyphen": lambda: "-" + good,
        "root": lambda: ".",
    }
    how = draw(st.sampled_from(sorted(builders)))
    event(f"bad name: {how}")
    return builders[how]()


NOT_A_NUMBER = st.sampled_from(["abc", "ten", "12abc", "1,000", "0x10", "", " ", "1.5", "nan"])
UNUSABLE_NUMBER = st.sampled_from(
    ["inf", "-inf", "Infinity", "1e2000000", "-1e99", "9" * 40, float("inf"), float("-inf")]
)
CONTAINERS = st.sampled_from([[], [1], {"a": 1}, {"port": 1688}])
NOT_A_BOOL = st.sampled_from(["maybe", "yess", "2", "-1", 2, -1, 0.5, [], {"a": 1}])


def integers_outside(low: int, high: int | None) -> st.SearchStrategy[object]:
    below = st.integers(max_value=low - 1)
    if high is None:
        return st.one_of(below, below.map(str))
    above = st.integers(min_value=high + 1)
    return st.one_of(below, above, below.map(str), above.map(str))


def wrong_int(low: int, high: int | None) -> st.SearchStrategy[object]:
    """Every way an integer option can be wrong (out of range, not a number, a bool...)."""
    return st.one_of(
        integers_outside(low, high), NOT_A_NUMBER, UNUSABLE_NUMBER, CONTAINERS, st.booleans()
    )


def not_in(choices: list[str]) -> st.SearchStrategy[object]:
    return st.one_of(st.text(max_size=12).filter(lambda text: text not in choices), CONTAINERS)


def unknown_option(spec: Mapping[str, Any]) -> st.SearchStrategy[str]:
    return st.text("abcdefghijklmnopqrstuvwxyz_ -", min_size=1, max_size=15).filter(
        lambda name: name not in spec and not name.startswith("_ansible")
    )


@dataclass(frozen=True)
class Defect:
    """One thing wrong with an otherwise valid task: ``field`` must be named in the refusal."""

    kind: str
    field: str
    args: dict[str, Any]


Change = Callable[[dict[str, Any], Any], dict[str, Any]]


def setting(name: str) -> Change:
    return lambda base, value: {**base, name: value}


def defects(
    base: dict[str, Any], table: list[tuple[str, str, st.SearchStrategy[Any], Change | None]]
) -> st.SearchStrategy[Defect]:
    """``table``: (kind, field named in the message, values, how the value goes into the task;
    None means ``{**base, field: value}``)."""
    options = [
        values.map(
            lambda value, kind=kind, field=field, change=change: Defect(
                kind, field or str(value), (change or setting(field))(dict(base), value)
            )
        )
        for kind, field, values, change in table
    ]
    return st.one_of(options)


def bool_rows(names: list[str]) -> list[tuple[str, str, st.SearchStrategy[Any], Change | None]]:
    return [("wrong type", name, NOT_A_BOOL, None) for name in names]


def unknown_row(spec: Mapping[str, Any]) -> tuple[str, str, st.SearchStrategy[Any], Change]:
    return (
        "unknown option",
        "",  # the field is the unknown name itself (checked in the test)
        unknown_option(spec),
        lambda base, name: {**base, name: "x"},
    )


# --- the checks --------------------------------------------------------------------------------


def assert_refused(outcome: Outcome, defect: Defect, secrets: tuple[str, ...] = ()) -> None:
    event(defect.kind)
    assert outcome.refused, f"accepted: {defect}"
    assert named(defect.field, outcome.message), f"{defect.field!r} not in: {outcome.message}"
    assert "Traceback" not in outcome.message
    for secret in secrets:
        assert secret[:20] not in outcome.message, outcome.message


def named(field: str, message: str) -> bool:
    """The message names ``field``: as written (``records[0].port``), or the way ansible-core's
    suboption checks do (``argument 'port' ... found in 'records'``)."""
    if field in message:
        return True
    root, _sep, leaf = field.partition("].")
    return bool(leaf) and f"'{leaf}'" in message and f"'{root.split('[')[0]}'" in message


def key_secrets(args: Mapping[str, Any]) -> tuple[str, ...]:
    """Key-like values of the task that must never be quoted beyond their last group."""
    value = args.get("key")
    return (value,) if isinstance(value, str) and len(value) >= 20 else ()


def test_valid_tasks_pass_every_check(dns_counter: ConnectionCounter) -> None:
    # The control: without a defect, each task gets as far as the connection (or the network).
    for module, args in BASES.items():
        if module == "kms_srv_record":
            before = dns_counter.count
            result = run_srv_module({**args, "server_port": dns_counter.port})
            # The listener closes at once: EOF or a reset, depending on timing. Either way the
            # task got as far as the network.
            assert result.get("dns_error") in ("BAD_RESPONSE", "UNREACHABLE"), result
            assert dns_counter.count == before + 1
        else:
            assert run_action(module, args) == Outcome(False, ""), module


BASES: dict[str, dict[str, Any]] = {
    "kms_host_key": {"key": HOST_KEY, "listening_port": 1688, "activation_interval": 120},
    "kms_client_setup_key": {
        "key": WINDOWS_GVLK,
        "kms_host": "kms1.corp.example",
        "kms_port": 1688,
        "lookup_domain": "corp.example",
    },
    "kms_publish_list": {
        "domains": [{"name": "corp.example", "priority": 10, "weight": 50}, "branch.example"],
        "restart_timeout": 60,
    },
    "kms_activation_info": {"event_days": 30, "event_limit": 100, "grace_warning_days": 15},
    "kms_srv_record": {
        "domain": "fleet.corp.example",
        "server": "127.0.0.1",
        "target": "kms1.corp.example",
        "port": 1688,
        "priority": 0,
        "weight": 0,
        "key_name": "update-key",
        "key_secret": TSIG_SECRET,
        "timeout": 2,
    },
}

# --- kms_host_key ------------------------------------------------------------------------------

HOST_KEY_DEFECTS = defects(
    BASES["kms_host_key"],
    [
        ("malformed key", "key", malformed_keys(), None),
        ("GVLK as host key", "key", st.sampled_from([g.key for g in gvlk.CATALOG]), None),
        (
            "GVLK as host key",
            "key",
            st.sampled_from([g.key.lower().replace("-", " ") for g in gvlk.CATALOG]),
            None,
        ),
        ("look-alike in key", "key", lookalike_keys(HOST_KEY), None),
        ("wrong type", "key", st.sampled_from([12345, ["a"], {"k": 1}]), None),
        ("missing key", "key", st.just(None), lambda base, _v: {"listening_port": 1688}),
        ("out of range", "listening_port", wrong_int(1, 65535), None),
        ("out of range", "activation_interval", wrong_int(15, 43200), None),
        ("out of range", "renewal_interval", wrong_int(15, 43200), None),
        (
            "conflict",
            "listening_port",
            st.just(1688),
            lambda base, port: {"state": "absent", "listening_port": port},
        ),
        ("wrong choice", "state", not_in(["present", "absent"]), None),
        ("wrong choice", "restart_service", not_in(["auto", "never", "always"]), None),
        *bool_rows(["activate", "dns_publishing", "low_priority", "host_caching", "firewall"]),
        unknown_row(kms_host_key.ARGUMENT_SPEC),
    ],
)


@EXAMPLES
@given(HOST_KEY_DEFECTS)
def test_kms_host_key_refuses_every_defect(defect: Defect) -> None:
    assert_refused(run_action("kms_host_key", defect.args), defect, key_secrets(defect.args))


# --- kms_client_setup_key ------------------------------------------------------------------------

OFFICE_GVLKS = [g.key for g in gvlk.CATALOG if g.product == gvlk.OFFICE]
CLIENT_DEFECTS = defects(
    BASES["kms_client_setup_key"],
    [
        ("malformed key", "key", malformed_keys(), None),
        ("look-alike in key", "key", lookalike_keys(WINDOWS_GVLK), None),
        ("not a GVLK", "key", st.just(HOST_KEY), None),
        ("GVLK of another product", "key", st.sampled_from(OFFICE_GVLKS), None),
        ("conflict", "key", st.just("all"), lambda base, scope: {**base, "product": scope}),
        ("invalid host", "kms_host", bad_names().filter(lambda n: "." in n.strip(".")), None),
        (
            "invalid host",
            "kms_host",
            st.sampled_from(["kms1:1688", "kms1.corp.example:1688", "-kms1", "kms_1", "", " "]),
            None,
        ),
        ("look-alike in name", "kms_host", lookalike_names("kms1.corp.example"), None),
        ("out of range", "kms_port", wrong_int(1, 65535), None),
        ("conflict", "kms_port", st.just(1688), lambda base, port: {"kms_port": port}),
        ("conflict", "discovery", st.just(True), setting("discovery")),
        ("invalid domain", "lookup_domain", bad_names().filter(lambda n: n.strip()), None),
        ("look-alike in name", "lookup_domain", lookalike_names("corp.example"), None),
        ("wrong choice", "product", not_in(["windows", "office", "all"]), None),
        ("wrong choice", "below_threshold", not_in(["fail", "warn", "ignore"]), None),
        *bool_rows(["allow_unpublished_key", "discovery", "host_caching", "activate"]),
        unknown_row(kms_client_setup_key.ARGUMENT_SPEC),
    ],
)


@EXAMPLES
@given(CLIENT_DEFECTS)
def test_kms_client_setup_key_refuses_every_defect(defect: Defect) -> None:
    outcome = run_action("kms_client_setup_key", defect.args)
    assert_refused(outcome, defect, key_secrets(defect.args))


# --- kms_publish_list --------------------------------------------------------------------------


def entry(field: str) -> Change:
    """Put the value into the first entry's ``field`` (``domains[0].<field>``)."""
    return lambda base, value: {
        **base,
        "domains": [{**base["domains"][0], field: value}, *base["domains"][1:]],
    }


def appended(base: dict[str, Any], item: object) -> dict[str, Any]:
    return {**base, "domains": [*base["domains"], item]}


PUBLISH_DEFECTS = defects(
    BASES["kms_publish_list"],
    [
        ("invalid domain", "domains[0]", bad_names(), entry("name")),
        ("look-alike in name", "domains[0]", lookalike_names("corp.example"), entry("name")),
        ("invalid domain", "domains[2]", bad_names().filter(lambda n: "," not in n), appended),
        ("look-alike in name", "domains[2]", lookalike_names("branch2.example"), appended),
        (
            "registry text",
            "domains[2]",
            st.sampled_from(["a.example, 10, 20", "a.example,0,0", "a.example ,1"]),
            appended,
        ),
        ("out of range", "domains[0].priority", wrong_int(0, 65535), entry("priority")),
        ("out of range", "domains[0].weight", wrong_int(0, 65535), entry("weight")),
        ("missing name", "domains[2].name", st.just({"priority": 1}), appended),
        ("unknown key", "domains[2]", st.just({"name": "x.example", "prio": 1}), appended),
        ("wrong type", "domains[2]", st.sampled_from([None, 12, ["a.example"], 1.5]), appended),
        (
            "duplicate",
            "domains[2]",
            st.sampled_from(["corp.example", "CORP.example", "corp.example.", " corp.example"]),
            appended,
        ),
        (
            "duplicate",
            "domains[2]",
            st.sampled_from(["branch.example", {"name": "Branch.Example.", "priority": 5}]),
            appended,
        ),
        ("wrong type", "domains", st.sampled_from([{"name": "corp.example"}, {"a": 1}]), None),
        ("out of range", "restart_timeout", wrong_int(1, None), None),
        ("wrong choice", "state", not_in(["present", "absent", "exact"]), None),
        ("wrong choice", "restart_service", not_in(["auto", "never", "always"]), None),
        (
            "missing option",
            "domains",
            st.just(None),
            lambda base, _v: {"restart_timeout": 60},
        ),
        *bool_rows(["disable_publishing"]),
        unknown_row(kms_publish_list.ARGUMENT_SPEC),
    ],
)


@EXAMPLES
@given(PUBLISH_DEFECTS)
def test_kms_publish_list_refuses_every_defect(defect: Defect) -> None:
    assert_refused(run_action("kms_publish_list", defect.args), defect)


# --- kms_activation_info -----------------------------------------------------------------------

INFO_DEFECTS = defects(
    BASES["kms_activation_info"],
    [
        ("out of range", "event_days", wrong_int(1, 3650), None),
        ("out of range", "event_limit", wrong_int(0, 1_000_000), None),
        ("out of range", "grace_warning_days", wrong_int(0, 3650), None),
        *bool_rows(["events"]),
        unknown_row(kms_activation_info.ARGUMENT_SPEC),
    ],
)


@EXAMPLES
@given(INFO_DEFECTS)
def test_kms_activation_info_refuses_every_defect(defect: Defect) -> None:
    assert_refused(run_action("kms_activation_info", defect.args), defect)


# --- kms_srv_record ----------------------------------------------------------------------------


def with_records(records: list[object]) -> Change:
    return lambda base, _value: {
        **{k: v for k, v in base.items() if k not in ("target", "port", "priority", "weight")},
        "records": records,
    }


def record(field: str) -> Change:
    return lambda base, value: with_records([{"target": "kms1.corp.example", field: value}])(
        base, None
    )


SRV_DEFECTS = defects(
    BASES["kms_srv_record"],
    [
        ("invalid domain", "domain", bad_names(), None),
        ("look-alike in name", "domain", lookalike_names("fleet.corp.example"), None),
        ("invalid domain", "target", bad_names(), None),
        ("look-alike in name", "target", lookalike_names("kms1.corp.example"), None),
        ("invalid domain", "zone", st.sampled_from(["other.example", "corp"]), None),
        ("out of range", "port", wrong_int(1, 65535), None),
        ("out of range", "priority", wrong_int(0, 65535), None),
        ("out of range", "weight", wrong_int(0, 65535), None),
        ("out of range", "ttl", wrong_int(0, 2**31 - 1), None),
        ("out of range", "server_port", wrong_int(1, 65535), None),
        ("out of range", "max_retries", wrong_int(0, 100), None),
        (
            "out of range",
            "timeout",
            # (true is 1.0 to ansible-core's float check: a valid timeout of one second)
            st.sampled_from([0, -1, 3601, "soon", float("inf"), float("nan"), []]),
            None,
        ),
        ("out of range", "records[0].port", wrong_int(1, 65535), record("port")),
        ("out of range", "records[0].priority", wrong_int(0, 65535), record("priority")),
        ("invalid domain", "records[0].target", bad_names(), record("target")),
        (
            "duplicate",
            "records[1].target",
            st.sampled_from(["kms1.corp.example", "KMS1.corp.example.", " kms1.corp.example"]),
            lambda base, target: with_records(
                [{"target": "kms1.corp.example"}, {"target": target, "port": 1689}]
            )(base, None),
        ),
        (
            "conflict",
            "target",
            st.just([{"target": "kms2.corp.example"}]),
            setting("records"),
        ),
        ("conflict", "exclusive", st.just(True), setting("exclusive")),
        ("conflict", "key_secret", st.just(None), lambda base, _v: {**base, "key_name": None}),
        ("bad secret", "key_secret", st.sampled_from(["not base64!!", "%%%", "a"]), None),
        ("conflict", "gss_tsig", st.just(True), setting("gss_tsig")),
        ("wrong choice", "protocol", not_in(["tcp", "udp"]), None),
        ("wrong choice", "state", not_in(["present", "absent"]), None),
        (
            "wrong choice",
            "key_algorithm",
            not_in(kms_srv_record.ARGUMENT_SPEC["key_algorithm"]["choices"]),
            None,
        ),
        *bool_rows(["exclusive", "gss_tsig", "gss_accept_unverified_reply"]),
        unknown_row(kms_srv_record.ARGUMENT_SPEC),
    ],
)
# Messages that name two options: either may come first (ansible-core's mutually_exclusive and
# required_by name both).
ALSO_NAMED = {"target": "records", "key_secret": "key_name", "gss_tsig": "key_name"}


@EXAMPLES
@given(defect=SRV_DEFECTS)
def test_kms_srv_record_refuses_every_defect(
    defect: Defect, dns_counter: ConnectionCounter
) -> None:
    before = dns_counter.count
    args = dict(defect.args)
    if defect.field != "server_port":
        args["server_port"] = dns_counter.port  # a listener that counts every connection
    result = run_srv_module(args)
    message = str(result.get("msg", ""))
    assert dns_counter.count == before, f"{defect} reached the DNS server"
    outcome = Outcome(bool(result.get("failed")) and "dns_error" not in result, message)
    named = defect.field
    if named in ALSO_NAMED and named not in message:
        named = ALSO_NAMED[named]
    assert_refused(outcome, Defect(defect.kind, named, defect.args), (TSIG_SECRET,))
    assert TSIG_SECRET not in json.dumps(result)
