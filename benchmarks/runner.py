"""Run the real ``ansible-playbook`` and measure what it costs the controller.

``measure(command, ...)`` starts the command, samples its process tree in /proc while it runs (the
main process and every forked worker) and reaps it with ``os.wait4``, whose resource usage covers
the process and every descendant it reaped: ansible-playbook joins each worker, so the CPU seconds
are those of the whole tree, and nothing the lab (in this process) spends is counted in them.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# The venv scripts/setup built: VOLACT_VENV when set (scripts/bench, scripts/setup read it too).
VENV = Path(os.environ.get("VOLACT_VENV") or ROOT / ".venv")
COLLECTIONS = VENV / "collections"
# ansible.windows for the peer rows (scripts/peer-collections, tests/requirements-bench.txt).
PEER_COLLECTIONS = Path(sys.prefix) / "peer-collections"
BENCH = ROOT / "benchmarks"
# The tests' callback that writes every task result as a JSON line (used for the wire runs only:
# the fleet runs keep ansible's default output, which is what an administrator pays for).
RESULTS_CALLBACK = ROOT / "tests" / "integration" / "plugins" / "callback"
NOOP_ACTIONS = BENCH / "plugins" / "action"
WRAPPER = BENCH / "profiled_ansible.py"
PAGE_KB = os.sysconf("SC_PAGESIZE") // 1024
RECAP = re.compile(
    r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
    r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Measured:
    """One ansible-playbook run as the controller saw it."""

    command: tuple[str, ...]
    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system of the whole process tree
    largest_process_kb: int  # max RSS of the largest single process (ru_maxrss)
    peak_tree_rss_kb: int  # highest sum of RSS over the tree (shared pages counted per process)
    peak_tree_pss_kb: int  # highest sum of PSS over the tree (shared pages split): real memory
    peak_processes: int
    samples: int
    lab_cpu_seconds: float  # what this process (the lab) spent meanwhile, on the same cores
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def tail(self, chars: int = 4000) -> str:
        return self.output[-chars:]


@dataclass
class _TreeSampler:
    root: int
    interval: float
    peak_rss: int = 0
    peak_pss: int = 0
    peak_processes: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()

    def sample(self) -> None:
        rss = pss = 0
        pids = tree(self.root)
        for pid in pids:
            found = memory_kb(pid)
            rss += found[0]
            pss += found[1]
        if pids:
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_processes = max(self.peak_processes, len(pids))


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from every thread's ``children`` file)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
        except OSError:
            continue
        found.extend(int(part) for part in text.split())
    return found


def tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    pending, seen = [root], []
    while pending:
        pid = pending.pop()
        if not Path(f"/proc/{pid}").exists():
            continue
        seen.append(pid)
        pending.extend(children(pid))
    return seen


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; PSS splits pages shared after fork among the sharers."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        text = ""
    values = {}
    for line in text.splitlines():
        name, _sep, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0])
    if "Rss" in values:
        return values["Rss"], values.get("Pss", values["Rss"])
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0, 0
    return pages * PAGE_KB, pages * PAGE_KB


def ansible_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the tests use: this venv's ansible, this checkout's collection."""
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": f"{COLLECTIONS}:{PEER_COLLECTIONS}",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_ACTION_PLUGINS": str(NOOP_ACTIONS),
    }
    env.update(extra or {})
    return env


def playbook_command(
    playbook: Path, inventories: Sequence[Path], *, forks: int, args: Sequence[str] = ()
) -> list[str]:
    command = [str(VENV_BIN / "ansible-playbook")]
    for inventory in inventories:
        command += ["-i", str(inventory)]
    return [*command, "--forks", str(forks), *args, str(playbook)]


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def measure(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    interval: float = 0.1,
    timeout: float = 7200,
) -> Measured:
    """Run ``command`` to the end and measure it (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="volact-bench-") as scratch:
        out_path, err_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            lab_before = resource.getrusage(resource.RUSAGE_SELF)
            begun = time.monotonic()
            process = subprocess.Popen(
                list(command), stdout=out, stderr=err, env=dict(env), cwd=cwd
            )
            sampler = _TreeSampler(process.pid, interval)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            deadline = begun + timeout
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    process.kill()
                time.sleep(0.05)
            wall = time.monotonic() - begun
            sampler.stop()
            thread.join()
            process.returncode = os.waitstatus_to_exitcode(status)
            lab_after = resource.getrusage(resource.RUSAGE_SELF)
        return Measured(
            command=tuple(command),
            returncode=process.returncode,
            wall_seconds=wall,
            cpu_seconds=_cpu(usage),
            largest_process_kb=usage.ru_maxrss,
            peak_tree_rss_kb=sampler.peak_rss,
            peak_tree_pss_kb=sampler.peak_pss,
            peak_processes=sampler.peak_processes,
            samples=sampler.samples,
            lab_cpu_seconds=_cpu(lab_after) - _cpu(lab_before),
            stdout=out_path.read_text(errors="replace"),
            stderr=err_path.read_text(errors="replace"),
        )


def profiled_run(plain: Sequence[str], work: Path, mode: str) -> tuple[Measured, Path]:
    """The ansible-playbook command ``plain`` under ``profiled_ansible.py`` in ``mode``; returns
    the run and the folder of the per-process files it wrote."""
    dumps = work / mode
    work.mkdir(parents=True, exist_ok=True)
    # A worker writes its file after sending its result; at the end of the play ansible-core
    # terminates the workers still alive unless told to wait for them (the default is not to).
    env = ansible_env(
        {
            "BENCH_PROFILE_DIR": str(dumps),
            "BENCH_PROFILE_MODE": mode,
            "ANSIBLE_WORKER_SHUTDOWN_POLL_COUNT": "300",
        }
    )
    run = measure([sys.executable, str(WRAPPER), *plain[1:]], env, cwd=work)
    if run.returncode != 0:
        raise RuntimeError(f"the play under profiled_ansible.py ({mode}) failed:\n{run.tail()}")
    return run, dumps


def recap(stdout: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counts per host."""
    names = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
    return {
        match[0]: dict(zip(names, (int(n) for n in match[1:]), strict=True))
        for match in RECAP.findall(stdout)
    }


def tasks_run(counts: Mapping[str, int]) -> int:
    """Task results of one host: each went through a worker (a skipped task does too, ansible-core
    evaluates ``when`` inside the worker). ``ok`` already counts the changed and ignored ones."""
    return sum(counts[k] for k in ("ok", "failed", "skipped", "unreachable"))
