"""The benchmark: wire cost per task, fleet-scale runs next to ansible-core's floor, a profile.

    scripts/bench                                   # 100 and 1000, 3 repeats; 5000 once
    scripts/bench --growth 0                        # without the run at 5,000 machines
    scripts/bench --sizes 100,1000:1 --repeat 3     # 1 repeat at 1,000 machines
    scripts/bench --smoke                           # tiny and quick; writes to a temp dir

It starts its own labs (``kmslab.lab.Lab`` in this process), runs the real ``ansible-playbook``
against them and writes ``performance.md`` and ``performance.json`` (to ``docs/`` unless
``--out``). Figures are medians over the repeats; every comparison is a ratio of two runs made
in the same repeat. See docs/performance.md for what is measured and how.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "lab"))
sys.path.insert(
    1,
    str(
        Path(os.environ.get("VOLACT_VENV") or Path(__file__).resolve().parents[1] / ".venv")
        / "collections"
    ),
)

import argparse
import datetime as dt
import json
import shlex
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fleet
import machine
import profiling
import report
import wire
from kmslab.lab import Lab
from kmslab.presets import scale
from runner import ROOT

SMOKE_SIZE = 4
# The growth run (docs/performance.md): one run at this size next to the largest of --sizes.
GROWTH_SIZE = 5000


def sizes(text: str, repeat: int) -> list[tuple[int, int]]:
    """``100,1000:1`` -> [(100, repeat), (1000, 1)]."""
    found = []
    for part in text.split(","):
        size, _sep, times = part.strip().partition(":")
        found.append((int(size), int(times) if times else repeat))
    if any(size < 2 or times < 1 for size, times in found):
        raise argparse.ArgumentTypeError("sizes are 2 machines or more, repeats 1 or more")
    return found


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    main.add_argument("--sizes", default="100,1000", help="fleet sizes, each SIZE or SIZE:REPEAT")
    main.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    main.add_argument(
        "--growth",
        type=int,
        default=GROWTH_SIZE,
        help="after the sizes, one run of site.yml and audit.yml with their floors at this "
        "size, for the growth per machine (0: none)",
    )
    main.add_argument("--forks", type=int, default=50)
    main.add_argument("--transport", default="ntlm", help="the fleet runs' inventory")
    main.add_argument("--wire-transports", default="ntlm,https")
    main.add_argument("--profile-size", type=int, help="default: the largest size; 0: no profile")
    main.add_argument("--skip", default="", help="comma-separated: wire, fleet, profile, peers")
    main.add_argument("--smoke", action="store_true", help="tiny sizes, 1 repeat, temp output")
    main.add_argument("--out", type=Path, help="where to write (default docs/, smoke: temp)")
    main.add_argument("--keep-profiles", type=Path, help="copy the merged .prof files here")
    main.add_argument(
        "--render", type=Path, help="only rewrite performance.md from this performance.json"
    )
    return main


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def command_line(argv: list[str]) -> str:
    return os.environ.get("BENCH_COMMAND") or shlex.join(["benchmarks/run.py", *argv])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.render is not None:
        page = (args.out or args.render.parent) / "performance.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(report.render(json.loads(args.render.read_text())))
        log(f"wrote {page}")
        return 0
    plan = [(SMOKE_SIZE, 1)] if args.smoke else sizes(args.sizes, args.repeat)
    growth = args.growth if "fleet" not in set(args.skip.split(",")) else 0
    if args.smoke and growth:
        growth = SMOKE_SIZE + 2  # the growth run's code, on a tiny fleet
    repeat = 1 if args.smoke else args.repeat
    transports = ["ntlm"] if args.smoke else args.wire_transports.split(",")
    skip = set(filter(None, args.skip.split(",")))
    profile_size = args.profile_size if args.profile_size is not None else plan[-1][0]
    out = args.out or (Path(tempfile.mkdtemp(prefix="volact-bench-")) if args.smoke else None)
    out = out or ROOT / "docs"
    began = time.monotonic()
    results: dict[str, Any] = {
        "command": command_line(argv),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "load_average": {"start": os.getloadavg()},
        "options": {
            "sizes": [{"hosts": size, "repeat": times} for size, times in plan],
            "growth": growth,
            "repeat": repeat,
            "forks": args.forks,
            "transport": args.transport,
            "wire_transports": transports,
            "smoke": args.smoke,
        },
        "notes": [],
    }
    out.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # Written after every step: a late failure keeps what was measured before it
        # (`--render` turns the file into the page).
        results["seconds"] = round(time.monotonic() - began, 1)
        results["load_average"]["end"] = os.getloadavg()
        (out / "performance.json").write_text(json.dumps(results, indent=2) + "\n")

    with ThreadPoolExecutor(max_workers=1) as background:
        wired = None
        if "wire" not in skip:
            # A smoke run's figures mean nothing: its wire runs go alongside the fleet runs.
            wired = background.submit(wire.run, transports, repeat, log)
            if not args.smoke:
                _wire(results, wired)
                save()
        if "fleet" not in skip or ("profile" not in skip and profile_size):
            fleets(args, plan, skip, profile_size, found=results, save=save)
        if growth:
            grow(args, growth, found=results, save=save)
        if wired is not None and "wire" not in results:
            _wire(results, wired)
    if args.smoke:
        results["notes"].append(
            "Smoke run: the wire runs went alongside the fleet runs, and cProfile was skipped."
        )
    save()
    (out / "performance.md").write_text(report.render(results))
    log(f"wrote {out / 'performance.md'} and {out / 'performance.json'}")
    return 0


def _wire(results: dict[str, Any], wired: Any) -> None:
    results["wire"] = [{"transport": r.transport, "rows": r.rows()} for r in wired.result()]


def fleets(
    args: argparse.Namespace,
    plan: list[tuple[int, int]],
    skip: set[str],
    profile_size: int,
    *,
    found: dict[str, Any],
    save: Callable[[], None],
) -> None:
    """Each fleet size in turn, into ``found`` (``fleet``, ``profile``), saved after each."""
    found.setdefault("fleet", [])
    audit = fleet.AUDIT.exists()
    if not audit:
        found["notes"].append("playbooks/audit.yml is not in the tree: its fleet runs are skipped")
    wanted = [] if "fleet" in skip else plan
    planned = {size for size, _times in wanted}
    if profile_size and "profile" not in skip and profile_size not in planned:
        wanted = [*wanted, (profile_size, 0)]  # converged, profiled, not measured
    for size, times in wanted:
        log(f"fleet {size}: starting the lab")
        with (
            Lab(scale(size), http_port=0, https_port=0) as lab,
            tempfile.TemporaryDirectory(prefix="volact-bench-fleet-") as scratch,
        ):
            run = fleet.FleetLab(lab, args.transport, args.forks, Path(scratch))
            measured = fleet.run_size(run, times, log, audit=audit, peer="peers" not in skip)
            measured["lab_start_seconds"] = round(lab.started_seconds, 2)
            if times:
                found["fleet"].append(measured)
                save()
            if size == profile_size and "profile" not in skip:
                found["profile"] = profiling.run(
                    run, log, keep=args.keep_profiles, cprofile=not args.smoke
                )
                save()


def grow(
    args: argparse.Namespace, size: int, *, found: dict[str, Any], save: Callable[[], None]
) -> None:
    """One run at ``size`` of site.yml and audit.yml with their floors: no memory runs, no peer
    rows, no profile (the largest of --sizes has those); the page sets it next to that size."""
    log(f"growth {size}: starting the lab")
    with (
        Lab(scale(size), http_port=0, https_port=0) as lab,
        tempfile.TemporaryDirectory(prefix="volact-bench-fleet-") as scratch,
    ):
        run = fleet.FleetLab(lab, args.transport, args.forks, Path(scratch))
        audit = fleet.AUDIT.exists()
        measured = fleet.run_size(run, 1, log, audit=audit, peer=False, memory_runs=False)
        measured["lab_start_seconds"] = round(lab.started_seconds, 2)
        measured["growth_only"] = True
        found.setdefault("fleet", []).append(measured)
        save()


if __name__ == "__main__":
    sys.exit(main())
