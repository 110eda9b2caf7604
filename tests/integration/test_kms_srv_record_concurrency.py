"""Twenty writers add their own host to one ``_vlmcs._tcp`` record set at the same moment.

Every UPDATE is guarded by the record set its writer read (compare-and-swap); BIND refuses a stale
one with NXRRSET/YXRRSET and the writer reads again and retries. Afterwards all twenty records
must be there. Two ways to get there at once: twenty ansible-playbook forks (what a fleet run
does), and twenty processes released by one barrier (the worst case for collisions).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kmslab.bind import BindServer
from kmslab.playbook import COLLECTIONS

from ansible_collections.volact.kms.plugins.module_utils.dns.srv_apply import run
from ansible_collections.volact.kms.plugins.module_utils.dns.srv_request import (
    build_auth,
    build_connection,
    build_request,
)

pytestmark = pytest.mark.reliability("concurrency")

ZONE = "conc.test"
WRITERS = 20


@pytest.fixture(scope="module")
def bind() -> Iterator[BindServer]:
    server = BindServer(zones=(ZONE,))
    server.start()
    yield server
    server.stop()


def test_twenty_playbook_forks_each_add_their_host(
    bind: BindServer, tmp_path: Path, record_property
):
    domain = f"fleet.{ZONE}"
    hosts = [f"kms{index:02d}" for index in range(WRITERS)]
    inventory = {
        "all": {
            "hosts": {name: {} for name in hosts},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        }
    }
    results = tmp_path / "results.json"
    play = {
        "name": "Every KMS host publishes itself",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {
                "volact.kms.kms_srv_record": {
                    "domain": domain,
                    "server": bind.address,
                    "server_port": bind.port,
                    "key_name": bind.key_name,
                    "key_secret": bind.key_secret,
                    "target": "{{ inventory_hostname }}." + ZONE,
                    "weight": 10,
                },
                "register": "published",
            },
            {
                "ansible.builtin.copy": {
                    "content": "{{ ansible_play_hosts_all | map('extract', hostvars, 'published')"
                    " | list | to_json }}",
                    "dest": str(results),
                },
                "run_once": True,
                "changed_when": False,
            },
        ],
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump([play], sort_keys=False))
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(tmp_path / "inventory.yml"),
            "--forks",
            str(WRITERS),
            str(tmp_path / "play.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS), "ANSIBLE_NOCOLOR": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = json.loads(results.read_text())
    retries = sorted(outcome["retries"] for outcome in outcomes)
    record_property("playbook_retries", retries)
    targets = sorted(answer.target for answer in bind.query_srv(domain))
    assert targets == [f"{name}.{ZONE}." for name in hosts], f"retries per writer: {retries}"
    assert all(outcome["changed"] for outcome in outcomes), f"retries per writer: {retries}"


def _writer(barrier: Any, queue: Any, params: dict[str, object]) -> None:
    request = build_request(params)
    connection = build_connection(params)
    auth = build_auth(params)
    barrier.wait()
    try:
        result = run(request, connection, auth, check_mode=False, want_diff=False)
    except Exception as error:  # any failure is reported to the test, not lost in a child
        queue.put(("error", f"{type(error).__name__}: {error}"))
        return
    queue.put(("ok", result["retries"]))


def test_twenty_processes_released_at_once_all_land(
    bind: BindServer, record_property: Callable[[str, object], None]
) -> None:
    domain = f"burst.{ZONE}"
    # spawn, not fork: a pytest worker has threads (xdist), and forking one is unsafe (Python 3.12+
    # warns). The writers meet at the barrier once they have started, so they still go at once.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    queue = context.Queue()
    base = {
        "domain": domain,
        "server": bind.address,
        "server_port": bind.port,
        "key_name": bind.key_name,
        "key_secret": bind.key_secret,
        "ttl": 3600,
        "state": "present",
        "max_retries": 10,  # the default: enough for twenty writers at once
    }
    workers = [
        context.Process(
            target=_writer,
            args=(barrier, queue, {**base, "target": f"host{index:02d}.{ZONE}", "priority": index}),
        )
        for index in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    reports = [queue.get(timeout=120) for _worker in workers]
    for worker in workers:
        worker.join(timeout=30)
    errors = [detail for kind, detail in reports if kind == "error"]
    retries = sorted(detail for kind, detail in reports if kind == "ok")
    record_property("burst_retries", retries)
    summary = f"retries per writer: {retries} (total {sum(retries)}); errors: {errors}"
    assert not errors, summary
    answers = bind.query_srv(domain)
    assert sorted(a.target for a in answers) == [f"host{i:02d}.{ZONE}." for i in range(WRITERS)]
    assert sorted(a.priority for a in answers) == list(range(WRITERS)), summary
    # Released together, the writers did collide: compare-and-swap made them retry.
    assert sum(retries) > 0, summary
