"""The profile section of docs/performance.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_text import para


def _parties(sampled: Mapping[str, Any], profiled: Mapping[str, Any] | None = None) -> str:
    header = "| whose code | CPU s (sampled) | share (sampled) |"
    rule = "|---|---|---|"
    if profiled is not None:
        header += " share under cProfile |"
        rule += "---|"
    rows = []
    for name, values in sampled.items():
        if values["seconds"] < 0.005:
            continue
        row = f"| {name} | {values['seconds']:,.2f} | {100 * values['share']:.1f}% |"
        if profiled is not None:
            other = profiled.get(name)
            row += f" {100 * other['share']:.1f}% |" if other else " - |"
        rows.append(row)
    return "\n".join([header, rule, *rows]) + "\n"


def _steps(sampled: Sequence[Mapping[str, Any]], profiled: Sequence[Mapping[str, Any]]) -> str:
    if not profiled:
        lines = ["| step | CPU ms per task (sampled) |", "|---|---|"]
        lines += [f"| {row['step']} | {row['ms_per_task']:.2f} |" for row in sampled]
        return "\n".join(lines) + "\n"
    other = {row["step"]: row["ms_per_task"] for row in profiled}
    lines = ["| step | CPU ms per task (sampled) | under cProfile |", "|---|---|---|"]
    for row in sampled:
        under = other.get(row["step"])
        lines.append(
            f"| {row['step']} | {row['ms_per_task']:.2f} | "
            + ("-" if under is None else f"{under:.2f}")
            + " |"
        )
    return "\n".join(lines) + "\n"


def per_task(sampled: Mapping[str, Any]) -> str:
    """Where one task's controller CPU goes, ansible-core's parts gathered."""
    tasks = max(sampled["workers"], 1)
    parties = {name: values["seconds"] for name, values in sampled["worker_parties"].items()}
    rows = [
        (
            "ansible-core, main process: fork, variables, results, output",
            sampled["main_cpu_seconds"],
        ),
        (
            "ansible-core, worker start and exit (outside the profilers)",
            sampled["unprofiled_cpu_seconds"],
        ),
        ("ansible-core, in the worker", parties.pop("ansible-core", 0.0)),
        *sorted(parties.items(), key=lambda item: -item[1]),
    ]
    whole = sum(seconds for _name, seconds in rows) or 1.0
    lines = ["| where | CPU ms per task | share |", "|---|---|---|"]
    lines += [
        f"| {name} | {1000 * seconds / tasks:.1f} | {100 * seconds / whole:.1f}% |"
        for name, seconds in rows
        if 1000 * seconds / tasks >= 0.05
    ]
    lines.append(f"| all of it (the sampled run) | {1000 * whole / tasks:.1f} | 100% |")
    return "\n".join(lines) + "\n"


def handshake(sampled: Mapping[str, Any]) -> str:
    """The NTLM handshake's share of a task, from the step table."""
    steps = {row["step"]: row["ms_per_task"] for row in sampled["worker_steps"]}
    ntlm = steps.get("-- within them, the NTLM handshake", 0.0)
    whole = sampled["cpu_seconds"] * 1000 / max(sampled["workers"], 1)
    if not ntlm:
        return ""
    return (
        para(
            f"The NTLM handshake's negotiate and authenticate legs (`transport_lean.py`, `_ntlm`: "
            f"its two HTTP exchanges and the security context) are {ntlm:.1f} ms of "
            f"each task, {100 * ntlm / whole:.0f}% of it: the price of a new connection per task."
        )
        + "\n"
    )


def profile(found: Mapping[str, Any]) -> str:
    hosts, sampled = found["hosts"], found["sampled"]
    # A smoke run skips cProfile: an empty stand-in keeps one layout.
    profiled = found["cprofile"] or {
        "wall_seconds": 0.0,
        "cpu_seconds": 0.0,
        "workers": hosts,
        "worker_parties": {},
        "worker_steps": [],
        "ours_top": [],
    }
    tasks = sampled["workers"]
    ours = sampled["worker_parties"].get("volact.kms", {"seconds": 0.0, "share": 0.0})
    ours_profiled = profiled["worker_parties"].get("volact.kms", {"share": 0.0})
    lost = [hosts - run["workers"] for run in (sampled, profiled)]
    text = [
        f"## Where the controller's time goes: one module on {hosts:,} hosts\n",
        para(
            f"`{found['module']}`, the task `site.yml` runs on every client, on the {hosts:,} "
            f"clients of the {hosts + 1:,}-machine fleet, forks {found['forks']}, "
            f"{found['transport']}. Without a profiler the play took "
            f"{found['plain']['wall_seconds']:,.1f} s wall and {found['plain']['cpu_seconds']:,.1f}"
            f" s controller CPU ({1000 * found['plain']['cpu_seconds'] / hosts:.0f} ms per task,"
            f" main process included); sampled, {sampled['wall_seconds']:,.1f} s and "
            f"{sampled['cpu_seconds']:,.1f} s; "
            + (
                f"under cProfile, {profiled['wall_seconds']:,.1f} s and "
                f"{profiled['cpu_seconds']:,.1f} s."
                if found["cprofile"]
                else "cProfile was skipped."
            )
            + (f" Profiles lost (sampled, cProfile): {lost[0]}, {lost[1]}." if any(lost) else "")
        ),
        PROFILE_METHOD,
        "### One task, all of it\n",
        per_task(sampled),
        handshake(sampled),
        f"### In the workers: {tasks:,} tasks, {sampled['worker_ms_per_task']:.1f} ms of CPU "
        "each\n",
        _parties(sampled["worker_parties"], profiled["worker_parties"]),
        para(
            f"Our code is {100 * ours['share']:.1f}% of the workers' CPU, "
            f"{1000 * ours['seconds'] / max(tasks, 1):.1f} ms per task; under cProfile, "
            f"{100 * ours_profiled['share']:.1f}%. cProfile's cost per call inflates code made of "
            "many small Python calls (requests, ansible-core's templating) against code that "
            "spends its time in C (hashing, RC4, pickling), so its shares lean; the sampled "
            "ones are the figures to use."
        )
        + "\n",
        "The steps of a task (each includes what it calls):\n",
        _steps(sampled["worker_steps"], profiled["worker_steps"]),
        f"### In the main process: {sampled['main_cpu_seconds']:,.1f} s of CPU\n",
        _parties(sampled["main_parties"]),
        _steps(sampled["main_steps"], []),
        "### Our functions\n",
        "Sampled: the CPU of the innermost function of ours on the stack (with the standard\n"
        "library it calls).\n",
        "| function | CPU ms per task |\n|---|---|",
        *(f"| `{r['function']}` | {r['ms_per_task']:.3f} |" for r in sampled["ours_top"]),
        "",
        "Under cProfile: calls per task show the repeated work.\n",
        "| function | calls per task | CPU ms per task (cProfile) |\n|---|---|---|",
        *(
            f"| `{r['function']}` | {r['calls_per_task']:g} | {r['ms_per_task']:.3f} |"
            for r in profiled["ours_top"]
        ),
        "",
        PROFILE_FINDINGS,
    ]
    return "\n".join(text) + "\n"


PROFILE_METHOD = """
How: `python -m cProfile ansible-playbook` would see only the main process, because every task
runs in a forked worker that leaves through `os._exit` without writing a profile. So
`benchmarks/profiled_ansible.py` runs ansible-playbook with a profiler on the main process and one
in each worker (around `WorkerProcess._run`: the task executor, then the result sent back), on
the process's CPU clock, not the wall clock (with 50 workers on 2 cores a worker waits for a core
most of its life). The figures come from `benchmarks/sampling.py`, a statistical profiler (the
stack every millisecond of CPU, `ITIMER_PROF`), scaled to each process's CPU time; a second run
under cProfile gives the calls per task. Standard-library time belongs to its caller: the XML
parsing our parser asks for is ours, the TLS and sockets urllib3 uses are urllib3's.
`--keep-profiles DIR` keeps the merged cProfile profiles; `python benchmarks/profiling.py
DIR/workers.prof` prints their split.
"""

PROFILE_FINDINGS = """
### What is ansible-core's own cost

The floor runs above measure it whole. For every task and host, ansible-core forks a worker from
a main process that holds the inventory and every host's variables (the fork copies the page
tables, and every page the worker then writes, reference counts included, is copied), computes
the host's variables, templates and validates the task, builds the connection plugin and
resolves its options, loads the action plugin, and pickles the result back to the main process,
which updates the host's state and runs the callbacks. The three ansible-core lines of "One
task, all of it" are that cost: none of it depends on this collection, and any module pays it on
this inventory.

### What is neither ours nor ansible-core's

urllib3 and NTLM with message encryption (pyspnego, cryptography) take a large share of a
worker's CPU. A worker lives for one task, so every task opens a new HTTP connection and runs a
new NTLM handshake (two HTTP exchanges, key derivation, RC4 and HMAC set-up) before its first
envelope: no connection survives from one task to the next in ansible-core's process model. The
lean channel sends its negotiate token with the connection's first request, as the WinRM client
for Ruby does (WinRb/WinRM, `HttpNegotiate#init_auth`); pywinrm (requests-ntlm) first sends an
anonymous request that only fetches a 401, a third exchange.

### What is ours, and what was changed

Little of our share is computation. A worker is a fresh fork: the first time it runs a function
or reads a table, it writes reference counts on pages it shares with the main process, and the
kernel copies them, so our cost follows how much code and data a task touches more than what it
computes. The profile showed three pieces of repeated or avoidable work, now fixed:

- `plugins/module_utils/wsman/cim.py`: each reply row was decoded with its query's whole table of
  type hints parsed again (88 parses per converged client task, cProfile above): the parse of each
  spelling is cached (`functools.lru_cache`). Decoding a converged client's two replies in a
  fresh fork: 1.31 ms before, 0.77 ms after.
- `plugins/plugin_utils/wsman_transport.py`, `winrm_endpoint`: every host was parsed as an IPv6
  address and the exception caught; now only hosts with a colon are: 0.14 ms before, 0.07 ms
  after.
- `plugins/module_utils/licensing/gvlk.py`, `editions`: walked the whole GVLK catalog on each
  call; now a dictionary built at import: 0.08 ms before, 0.02 ms after.

(Each figure: the median CPU time over 60 to 80 fresh forks of a process that had imported the
collection, on the machine above.) Together about 0.7 ms per task, about 1% of a task's
controller CPU. The rest of our share is parsing the replies' XML, building the envelopes,
checking the options and building the result, each a few tenths of a millisecond at most. Each
action plugin used to parse its options twice, in `validate` before anything is sent and again
in `execute`; it now parses them once and hands the result on.

Outside the modules, in the roles and playbooks: the memory figures showed every worker of the
`kms_client` role's tasks loading ansible-core's filter and test plugins, for a `| length` or an
`is none` in the task's options (about 3 MB of its own and milliseconds of CPU, on every client).
The role's per-client tasks and `audit.yml`'s per-machine task now use no filter or test, and
`audit.yml` gathers the report on the controller instead of with a `set_fact` on every machine:
one task per machine instead of two. On the demo lab (34 machines), the controller CPU of a
converged `site.yml` went from 7.9 s to 6.5 s (median of 3 runs each).

### Issue 18: the levers weighed

Measured, then shipped:

- The transport (`plugins/plugin_utils/transport_lean.py`): the same HTTP exchanges pywinrm's
  `Transport` makes, over urllib3 and pyspnego without requests' session, adapters, hooks and
  proxy lookups around each envelope, for NTLM (with or without message encryption) and Basic
  without a proxy; Kerberos, CredSSP, client certificates and proxies stay with pywinrm, and
  `VOLACT_KMS_LEAN_TRANSPORT=0` sends everything through pywinrm. The lab counts the same
  connections and envelopes for both, and one HTTP request fewer per connection on the lean path:
  it sends the NTLM negotiate token with its first request instead of an anonymous request that
  only fetches a 401 (tests/integration/test_transport_lean.py). Its effect
  in this run is the pywinrm row next to ours in "One task on every client" above; in a fresh
  fork, building the sender, two WQL queries with NTLM and message encryption and closing took
  23.1 ms of CPU over pywinrm and 18.0 ms lean (median of 40 forks each, on a machine shared with
  other work). Sending the negotiate token with the first request, measured the same way on a
  quiet machine (load average about 1), two runs of each: 7.7 and 8.1 ms, against 8.1 and 8.2 ms
  with the anonymous request first and 9.9 and 10.7 ms over pywinrm. Its CPU gain is small; what
  it saves is a round trip per task, which a real network charges in wall time, and the bytes of
  that request and its 401.
- The `kms_client` role's report of each machine: one task for the play (one line per machine)
  instead of a debug task on every client. Measured at 300 machines (outside the benchmark, same
  lab, each run next to its floor, load average 7 to 11): the role's play on the clients took
  58.6 s of controller CPU before and 43.8 s after, 25% less, and 62 s wall instead of 93; it
  went from 1.68 to 1.65 times its floor, little, because the floor loses a bare task per client
  too: the per-client debug cost 49.5 ms per client, a floor task 28 ms.

Measured, not shipped:

- Registering only what the role reads. Registering the converged client task's result costs the
  main process 1.7 KiB per machine at 300 machines (85.9 MB against 85.4 MB without `register`,
  a run outside the benchmark): the rest of its growth over the floor is ansible-core's linear
  strategy holding every host's result of the running task ("Memory as the fleet grows").
  ansible-core 2.21's register projections (`register:` as a mapping of names to expressions)
  would keep only the activation state and the product name the role reads; ansible-core 2.20,
  which the collection still supports (`meta/runtime.yml`), accepts only a variable name there
  (`Task._validate_register`), so the role keeps registering the whole result. Neither would
  bring the main process's growth within the target ("The clients' play, task by task" measures
  what each task holds).
- The retry of the machines below the threshold is a task on every client, skipped on a
  converged fleet, whose `when` ansible-core evaluates in a worker per client (about 1.5 times a
  floor task at 300 machines). One `run_once` task looping over the machines below the threshold
  would spare those workers but retry the machines one after another in one worker and report a
  failure against the wrong host: kept as it is.
- The role's argument check (`meta/argument_specs.yml`) is one more task per client; it refuses
  bad input before anything changes, so it stays. Its result weighs more in the main process than
  any other task's ("The clients' play, task by task"): the task's arguments, the role's whole
  argument spec, travel back with every host's result, and ansible-core tags every string it
  loads from YAML with where it came from. The `kms_client` role's options, loaded by
  ansible-core's `DataLoader`, pickled as the task's arguments and unpickled 300 times: 42.7 KiB
  each; without the descriptions 26.5 KiB; the same data as plain strings 6.9 KiB (a run outside
  the benchmark). A role has no way to hand ansible-core an untagged spec or to check its
  arguments once per play, and the descriptions are the role's documentation (`ansible-doc -t
  role`), so the check stays as it is.
- Skipping pyspnego's LM hash: given a password, pyspnego computes the LM hash with its own
  pure-Python DES although NTLMv2 never uses it; handing it the NT hash instead (its documented
  `LM:NT` form) saved 0.7 ms of a task's CPU in a fresh fork (building the sender, two queries
  and closing: 8.1 and 7.7 ms against 7.4 and 7.0 ms, two runs each of 40 forks, medians; the
  hash computed before the fork).
  About 1% of a task, for a password-equivalent hash kept in the worker: not shipped.
- Fewer template expressions in the role's task. The task-by-task rows above put the templating
  of the `kms_client` role's eleven option expressions at about 11 to 16 ms per client, a third
  to a half of a bare task. In a fresh fork of a process that had imported ansible-core,
  templating eleven one-variable expressions (`{{ x }}`) with the role's defaults took 11.6 ms,
  one such expression 3.6 ms (warm: 6.2 and 0.5 ms; medians of 30 forks and 50 calls; a run
  outside the benchmark); one expression building the whole option mapping with the `combine`
  filter took 23.6 ms, for loading the filter plugins. Handing the module the role's values in
  fewer expressions, without filters, is the next lever; it was measured after this run's code
  was fixed and is not in it.
- Freezing the garbage collector in the worker (`gc.freeze()`, so that a collection would not
  walk, and so copy, every object inherited from the main process): no collection ran during the
  transport's part of a task in a fresh fork of a process holding 900,000 objects, so there is
  nothing for it to save there.
"""
