"""Wire cost per task: what one task of each module sends, next to the usual slmgr.vbs way.

Every row runs on a machine of its own, so the lab's per-machine counters (requests by operation,
HTTP requests, connections, bytes) belong to that row alone; the module's own ``wsman`` return
value is read next to them. Each repeat uses fresh machines: the changing task meets a machine
that needs the change, the converged task is the same task run again. The usual way is
``ansible.builtin.raw: cscript //nologo slmgr.vbs ...`` over the same winrm connection, answered
by the lab's shell from the same model (Create, Command, Receive, Signal, Delete per task). The
path most Ansible users take, ansible.windows' modules through ansible-core's PowerShell exec
wrapper, has rows of its own (PEER_CASES).
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import BRANCH, CORP
from runner import RESULTS_CALLBACK, ansible_env, measure, playbook_command

SLMGR = r"cscript //nologo C:\Windows\System32\slmgr.vbs"
# Windows 10/11 Enterprise's published GVLK (reference/gvlk.csv): the usual way types it in.
ENTERPRISE_GVLK = "NPPR9-FWDCX-D2C8J-H872K-2YT43"
CLIENT_IMAGE = "win10-enterprise"
HOST_IMAGE = "ws2022-standard"
# The KMS host the clients find in DNS already counts this many machines: with the benchmark's
# client the count reaches 25, so the changing client task activates for real (kms-facts.md §2.3).
SEED_CLIENTS = 24
PUBLISH = [{"name": BRANCH, "priority": 10, "weight": 50}]
# Machines per (transport, repeat), by role: hk, pub and ahk are KMS hosts in the branch domain
# (so their SRV records never reach the clients, who look in corp), cl, ucl and acl MAK clients.
# ucl and acl serve the usual way's and ansible.windows' rows, ahk ansible.windows' KMS host rows.
ROLES = {"hk": (HOST_IMAGE, BRANCH), "pub": (HOST_IMAGE, BRANCH), "ahk": (HOST_IMAGE, BRANCH)}
ROLES |= {"cl": (CLIENT_IMAGE, CORP), "ucl": (CLIENT_IMAGE, CORP), "acl": (CLIENT_IMAGE, CORP)}
# Roles set up as activated KMS hosts before the runs (their task only reads or publishes).
READY_HOSTS = ("pub", "ahk")


@dataclass(frozen=True)
class Case:
    """One row: the tasks of one approach, on one machine, in one phase."""

    key: str
    module: str
    state: str
    phase: str  # "change", "converged" or "read": the playbook run it belongs to
    role: str
    tasks: tuple[dict[str, Any], ...]
    approach: str = "volact.kms"  # or "usual", or "ansible.windows"


def _raw(*options: str) -> dict[str, Any]:
    return {"ansible.builtin.raw": " ".join((SLMGR, *options))}


def _win_shell(*options: str) -> dict[str, Any]:
    return {"ansible.windows.win_shell": " ".join((SLMGR, *options))}


# ansible.windows' modules, sent as PowerShell through ansible-core's exec wrapper and answered by
# the lab's shell from the same model (kmslab/ansible_windows.py): Create, Command, Send (the
# module's manifest, in 200,000-byte pieces), Receive, Signal, Delete per task.
PEER = "ansible.windows"
PEER_CASES = (
    Case(
        "aw/ipk_ato",
        "`ansible.windows.win_shell`: slmgr.vbs /ipk GVLK, then /ato",
        "changing, client",
        "change",
        "acl",
        (_win_shell("/ipk", ENTERPRISE_GVLK), _win_shell("/ato")),
        PEER,
    ),
    Case(
        "aw/dlv",
        "`ansible.windows.win_shell`: slmgr.vbs /dlv",
        "check, client",
        "converged",
        "acl",
        (_win_shell("/dlv"),),
        PEER,
    ),
    Case(
        "aw/dlv_host",
        "`ansible.windows.win_shell`: slmgr.vbs /dlv",
        "check, KMS host",
        "converged",
        "ahk",
        (_win_shell("/dlv"),),
        PEER,
    ),
    Case(
        "aw/facts",
        "`ansible.windows.win_product_facts`",
        "read, client",
        "read",
        "acl",
        ({"ansible.windows.win_product_facts": {}},),
        PEER,
    ),
    Case(
        "aw/facts_host",
        "`ansible.windows.win_product_facts`",
        "read, KMS host",
        "read",
        "ahk",
        ({"ansible.windows.win_product_facts": {}},),
        PEER,
    ),
    Case(
        "aw/ping",
        "`ansible.windows.win_ping`",
        "read, client",
        "read",
        "ucl",
        ({"ansible.windows.win_ping": {}},),
        PEER,
    ),
)


HOST_KEY_TASK = {
    "volact.kms.kms_host_key": {
        "key": "{{ bench_host_keys[inventory_hostname] }}",
        "firewall": True,
    }
}
PUBLISH_TASK = {"volact.kms.kms_publish_list": {"domains": PUBLISH}}
CLIENT_TASK = {"volact.kms.kms_client_setup_key": {"discovery": True}}
INFO_TASK = {"volact.kms.kms_activation_info": {}}
CASES = (
    Case("host_key/changing", "kms_host_key", "changing", "change", "hk", (HOST_KEY_TASK,)),
    Case("host_key/converged", "kms_host_key", "converged", "converged", "hk", (HOST_KEY_TASK,)),
    Case("publish/changing", "kms_publish_list", "changing", "change", "pub", (PUBLISH_TASK,)),
    Case("publish/converged", "kms_publish_list", "converged", "converged", "pub", (PUBLISH_TASK,)),
    Case("client/changing", "kms_client_setup_key", "changing", "change", "cl", (CLIENT_TASK,)),
    Case(
        "client/converged", "kms_client_setup_key", "converged", "converged", "cl", (CLIENT_TASK,)
    ),
    Case("info/host", "kms_activation_info", "read, KMS host", "read", "hk", (INFO_TASK,)),
    Case("info/client", "kms_activation_info", "read, client", "read", "cl", (INFO_TASK,)),
    Case(
        "usual/ipk_ato",
        "raw: slmgr.vbs /ipk GVLK, then /ato",
        "changing, client",
        "change",
        "ucl",
        (_raw("/ipk", ENTERPRISE_GVLK), _raw("/ato")),
        approach="usual",
    ),
    Case(
        "usual/dlv",
        "raw: slmgr.vbs /dlv",
        "check, client",
        "converged",
        "ucl",
        (_raw("/dlv"),),
        "usual",
    ),
    Case(
        "usual/dlv_host",
        "raw: slmgr.vbs /dlv",
        "check, KMS host",
        "read",
        "pub",
        (_raw("/dlv"),),
        "usual",
    ),
    *PEER_CASES,
)
PHASES = ("change", "converged", "read")
NUMBERS = ("requests", "http_requests", "connections", "bytes_sent", "bytes_received")


def machine_name(role: str, transport: str, repeat: int) -> str:
    return f"{role}-{transport}-{repeat}"


def shape(transports: Iterable[str], repeat: int) -> LabShape:
    machines = [MachineShape("kms", HOST_IMAGE, CORP, role="kms_host")]
    for transport in transports:
        for index in range(repeat):
            for role, (image, domain) in ROLES.items():
                kind = "kms_host" if image == HOST_IMAGE else "client"
                initial = None if kind == "kms_host" else KeyKind.MAK
                name = machine_name(role, transport, index)
                machines.append(MachineShape(name, image, domain, role=kind, initial_key=initial))
    return LabShape(machines=tuple(machines), zones=(CORP, BRANCH))


def arrange(lab: Lab) -> dict[str, str]:
    """Make ``kms`` a KMS host that 24 machines have asked, make every ``pub`` and ``ahk`` machine a
    KMS host (the publish list is pub's changing task; ahk's tasks read), and hand out one host
    key per KMS host: a host key
    activates at most 6 hosts (kms-facts.md §2.7). Returns the ``hk`` machines' keys."""

    def apply() -> dict[str, str]:
        keys = lab.fleet.keys
        if admin.setup_kms_host(lab.machine("kms"), keys.csvlk("ws2022", 0).key) != 0:
            raise RuntimeError("the benchmark's KMS host did not activate")
        for index in range(SEED_CLIENTS):
            seed = lab.fleet.add(
                f"seed{index:02d}", CLIENT_IMAGE, domain=CORP, initial_key=KeyKind.GVLK
            )
            admin.activate_windows(seed)
        host_keys = {}
        for serial, name in enumerate(lab.names("kms_host")[1:], start=1):
            key = keys.csvlk("ws2022", serial).key
            if name.startswith(READY_HOSTS):
                if admin.setup_kms_host(lab.machine(name), key) != 0:
                    raise RuntimeError(f"{name} did not activate")
            else:
                host_keys[name] = key
        return host_keys

    return lab.call(apply)


def _playbook(cases: Iterable[Case], transport: str, repeat: int) -> list[dict[str, Any]]:
    plays = []
    for case in cases:
        tasks = [{"name": f"{case.key} {i}", **task} for i, task in enumerate(case.tasks)]
        host = machine_name(case.role, transport, repeat)
        plays.append({"name": case.key, "hosts": host, "gather_facts": False, "tasks": tasks})
    return plays


def _delta(after: Any, before: Any) -> dict[str, Any]:
    grown = {op: n - before.operations.get(op, 0) for op, n in after.operations.items()}
    called = {m: n - before.methods.get(m, 0) for m, n in after.methods.items()}
    return {
        "operations": {op: n for op, n in sorted(grown.items()) if n},
        "methods": {m: n for m, n in called.items() if n},
        "requests": after.requests - before.requests,
        "http_requests": after.http_requests - before.http_requests,
        "connections": after.connections - before.connections,
        "bytes_sent": after.bytes_in - before.bytes_in,  # what the lab received
        "bytes_received": after.bytes_out - before.bytes_out,
    }


def _module_cost(results: list[dict[str, Any]]) -> dict[str, int] | None:
    costs = [r["result"]["wsman"] for r in results if "wsman" in r["result"]]
    if not costs:
        return None
    return {k: sum(c[k] for c in costs) for k in ("requests", "bytes_sent", "bytes_received")}


def run_phase(
    lab: Lab, phase: str, transport: str, repeat: int, keys: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    cases = [case for case in CASES if case.phase == phase]
    names = {case.key: machine_name(case.role, transport, repeat) for case in cases}
    with tempfile.TemporaryDirectory(prefix="volact-bench-wire-") as scratch:
        work = Path(scratch)
        (work / "play.yml").write_text(yaml.safe_dump(_playbook(cases, transport, repeat)))
        (work / "keys.yml").write_text(yaml.safe_dump({"bench_host_keys": dict(keys)}))
        results_path = work / "results.jsonl"
        env = ansible_env(
            {
                "ANSIBLE_CALLBACK_PLUGINS": str(RESULTS_CALLBACK),
                "ANSIBLE_CALLBACKS_ENABLED": "results",
                "KMSLAB_RESULTS": str(results_path),
            }
        )
        inventory = lab.state_dir / f"inventory-{transport}.yml"  # type: ignore[operator]
        command = playbook_command(
            work / "play.yml", [inventory], forks=5, args=["-e", "@keys.yml"]
        )
        before = {key: lab.counters(name) for key, name in names.items()}
        run = measure(command, env, cwd=work)
        after = {key: lab.counters(name) for key, name in names.items()}
        lines = results_path.read_text().splitlines() if results_path.exists() else []
    results = [json.loads(line) for line in lines]
    found = {}
    for case in cases:
        mine = [r for r in results if r["task"].startswith(f"{case.key} ")]
        found[case.key] = {
            **_delta(after[case.key], before[case.key]),
            "module": _module_cost(mine),
            "changed": any(r["result"].get("changed") for r in mine),
            "ok": len(mine) == len(case.tasks) and all(r["status"] == "ok" for r in mine),
            "host": names[case.key],
        }
        if not found[case.key]["ok"]:
            found[case.key]["error"] = run.tail(3000)
    return found


@dataclass
class WireResult:
    transport: str
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for case in CASES:
            runs = self.runs.get(case.key, [])
            if not runs:
                continue
            row: dict[str, Any] = {
                "key": case.key,
                "module": case.module,
                "state": case.state,
                "approach": case.approach,
                "tasks": len(case.tasks),
                "operations": runs[0]["operations"],
                "methods": runs[0]["methods"],
                "changed": [r["changed"] for r in runs],
                "ok": all(r["ok"] for r in runs),
                "runs": runs,
            }
            for name in NUMBERS:
                row[name] = statistics.median(r[name] for r in runs)
            modules = [r["module"] for r in runs if r["module"] is not None]
            row["module_reported"] = (
                {k: statistics.median(m[k] for m in modules) for k in modules[0]}
                if modules
                else None
            )
            # The physical floor of a converged check is one WS-Man request.
            row["ratio_to_floor"] = row["requests"] / 1
            rows.append(row)
        return rows


def run(transports: list[str], repeat: int, log: Any) -> list[WireResult]:
    with Lab(shape(transports, repeat), http_port=0, https_port=0) as lab:
        keys = arrange(lab)
        results = []
        for transport in transports:
            result = WireResult(transport)
            for index in range(repeat):
                for phase in PHASES:
                    log(f"wire: {transport}, repeat {index + 1}/{repeat}, {phase}")
                    for key, sample in run_phase(lab, phase, transport, index, keys).items():
                        result.runs.setdefault(key, []).append(sample)
            results.append(result)
        return results
