"""scripts/lab: bring a lab up in the background, control it, and take it down.

    scripts/lab up --preset demo          # start; prints the inventories and how long it took
    scripts/lab up --variant registry_missing_value=2   # serve an unconfirmed detail's other form
    scripts/lab variants                  # every variant: its values, default and source
    scripts/lab status
    scripts/lab fault pc001 --hresult 0xC004F074 --method Activate
    scripts/lab fault pc001 --slow-method Activate --seconds 90
    scripts/lab drift kms1 --registry DnsDomainPublishList --multi "corp.lab.test, 5, 10"
    scripts/lab key pc002 --channel mak --activate   # back to MAK, as slmgr /ipk and /ato would
    scripts/lab restart kms1              # sppsvc restarts: registry drift takes effect
    scripts/lab advance --days 31
    scripts/lab counters pc001
    scripts/lab down                      # stops everything it started; no process stays behind

The lab's state (inventories, lab CA, secrets, the control endpoint) lives in ``--state-dir``
(default ``.venv/kmslab`` of the checkout).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_STATE = ROOT / ".venv" / "kmslab"
STATE_FILE = "lab.json"


def _state(state_dir: Path) -> dict[str, Any]:
    path = state_dir / STATE_FILE
    if not path.exists():
        raise SystemExit(f"no lab is running with state in {state_dir} (scripts/lab up starts one)")
    return json.loads(path.read_text())


def _post(state_dir: Path, operation: str, arguments: dict[str, Any]) -> Any:
    url = f"{_state(state_dir)['control']}/{operation}"
    request = urllib.request.Request(
        url, data=json.dumps(arguments).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise SystemExit(json.loads(error.read()).get("error", str(error))) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def serve(args: argparse.Namespace) -> int:
    """Run a lab in this process until ``down`` (or SIGTERM); write the state file when ready."""
    from kmslab.control import serve_controls  # noqa: PLC0415 (keeps `kmslab --help` instant)
    from kmslab.lab import TRANSPORTS, Lab  # noqa: PLC0415
    from kmslab.presets import PRESETS, scale  # noqa: PLC0415
    from kmslab.variants import Variants  # noqa: PLC0415

    shape = scale(args.size) if args.preset == "scale" else PRESETS[args.preset]()
    variants = Variants.parse(args.variant)
    state_dir = Path(args.state_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lab = Lab(
        shape,
        state_dir,
        http_port=args.http_port,
        https_port=args.https_port,
        variants=variants,
    ).start()
    try:
        controls = serve_controls(lab, stop)
        state = {
            "pid": os.getpid(),
            "control": f"http://127.0.0.1:{controls.server_address[1]}",
            "inventories": {t: str(state_dir / f"inventory-{t}.yml") for t in TRANSPORTS},
            "secrets": str(state_dir / "secrets.yml"),
            "bind_workdir": str(lab.bind.workdir),
            **lab.status(),
        }
        (state_dir / STATE_FILE).write_text(json.dumps(state, indent=2))
        stop.wait()
        controls.shutdown()
    finally:
        lab.stop()
        (state_dir / STATE_FILE).unlink(missing_ok=True)
    return 0


def up(args: argparse.Namespace) -> int:
    from kmslab.variants import VariantError, Variants  # noqa: PLC0415

    try:
        Variants.parse(args.variant)  # refused here, before anything starts
    except VariantError as error:
        raise SystemExit(str(error)) from None
    state_dir = Path(args.state_dir)
    if (state_dir / STATE_FILE).exists() and _alive(_state(state_dir)["pid"]):
        raise SystemExit(
            f"a lab is already running with state in {state_dir}: scripts/lab down first"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    begun = time.monotonic()
    command = [sys.executable, "-m", "kmslab", "--state-dir", str(state_dir), "serve"]
    command += ["--preset", args.preset, "--size", str(args.size)]
    command += ["--http-port", str(args.http_port), "--https-port", str(args.https_port)]
    for variant in args.variant:
        command += ["--variant", variant]
    log = (state_dir / "lab.log").open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    while not (state_dir / STATE_FILE).exists():
        if process.poll() is not None:
            raise SystemExit(f"the lab did not start; see {state_dir / 'lab.log'}")
        if time.monotonic() - begun > args.timeout:
            process.terminate()
            raise SystemExit(f"the lab did not start within {args.timeout} s")
        time.sleep(0.1)
    state = _state(state_dir)
    print(f"lab up: {state['machines']} machines in {time.monotonic() - begun:.2f} s")
    for transport, path in state["inventories"].items():
        print(f"  inventory ({transport}): {path}")
    print(f"  secrets: {state['secrets']}  DNS: {state['dns']}  lab CA: {state['ca']}")
    if state.get("variants"):
        chosen = ", ".join(f"{name}={value}" for name, value in state["variants"].items())
        print(f"  variants: {chosen}")
    return 0


def down(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir)
    path = state_dir / STATE_FILE
    if not path.exists():
        print("no lab running")
        return 0
    state = _state(state_dir)
    begun = time.monotonic()
    try:
        _post(state_dir, "shutdown", {})
    except (OSError, SystemExit):
        if _alive(state["pid"]):
            os.kill(state["pid"], signal.SIGTERM)
    while _alive(state["pid"]):
        if time.monotonic() - begun > args.timeout:
            os.kill(state["pid"], signal.SIGKILL)
            break
        time.sleep(0.05)
    path.unlink(missing_ok=True)
    print(f"lab down: {state['machines']} machines in {time.monotonic() - begun:.2f} s")
    return 0


def control(args: argparse.Namespace, operation: str, arguments: dict[str, Any]) -> int:
    answer = _post(Path(args.state_dir), operation, arguments)
    print(json.dumps(answer, indent=2, default=str))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="scripts/lab",
        description=__doc__.split("\n\n", maxsplit=1)[0].removeprefix("scripts/lab: "),
    )
    main.add_argument("--state-dir", default=os.environ.get("KMSLAB_STATE", str(DEFAULT_STATE)))
    commands = main.add_subparsers(dest="command", required=True)
    for name in ("up", "serve"):
        start = commands.add_parser(
            name, help="start a lab" + (" (foreground)" if name == "serve" else "")
        )
        start.add_argument(
            "--preset",
            default="demo",
            choices=("small", "demo", "scale", "seeds", "adba", "forest"),
        )
        start.add_argument("--size", type=int, default=1000, help="machines, for --preset scale")
        start.add_argument("--http-port", type=int, default=5985)
        start.add_argument("--https-port", type=int, default=5986)
        start.add_argument("--timeout", type=float, default=120)
        start.add_argument(
            "--variant",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="serve another form of an unconfirmed detail (repeatable; see `variants`)",
        )
    stop = commands.add_parser("down", help="stop the lab and everything it started")
    stop.add_argument("--timeout", type=float, default=60)
    commands.add_parser("status", help="what is running")
    commands.add_parser(
        "variants", help="the unconfirmed details the lab can serve either way, with sources"
    )
    fault = commands.add_parser("fault", help="inject or clear a fault on a machine")
    fault.add_argument("machine")
    fault.add_argument("--unreachable", choices=("refused", "reset", "off"))
    fault.add_argument("--reject-auth", choices=("on", "off"))
    fault.add_argument("--latency", type=float)
    fault.add_argument("--hresult", help="e.g. 0xC004F074, with --method")
    fault.add_argument("--method", help="e.g. Activate, InstallProductKey")
    fault.add_argument("--class-name", default="SoftwareLicensingProduct")
    fault.add_argument("--timeout-method", help="answer w:TimedOut on this method")
    fault.add_argument(
        "--slow-method",
        help="this method takes --seconds of simulated time: it runs, but past the request's "
        "OperationTimeout (capped per the operation_timeout_cap variant) the client gets "
        "w:TimedOut",
    )
    fault.add_argument("--seconds", type=float, help="with --slow-method")
    fault.add_argument("--clear", action="store_true")
    drift = commands.add_parser("drift", help="change a machine behind Ansible's back")
    drift.add_argument("machine")
    drift.add_argument("--registry", help="an SPP registry value name")
    drift.add_argument("--value")
    drift.add_argument("--multi", nargs="*", help="REG_MULTI_SZ strings")
    drift.add_argument("--dword", type=int)
    drift.add_argument("--delete", action="store_true")
    drift.add_argument("--firewall", choices=("on", "off"))
    key = commands.add_parser("key", help="install the lab's key of a channel on a machine")
    key.add_argument("machine")
    key.add_argument("--channel", default="mak", choices=("mak", "retail", "oem"))
    key.add_argument("--activate", action="store_true", help="activate it too")
    restart = commands.add_parser("restart", help="restart sppsvc: registry drift takes effect")
    restart.add_argument("machine")
    advance = commands.add_parser("advance", help="move the lab clock")
    advance.add_argument("--days", type=float, default=0)
    advance.add_argument("--hours", type=float, default=0)
    counters = commands.add_parser("counters", help="WS-Man requests per machine")
    counters.add_argument("machine", nargs="?")
    writes = commands.add_parser("writes", help="the write log of a machine")
    writes.add_argument("machine")
    srv = commands.add_parser("srv", help="the _vlmcs._tcp records of a domain, from BIND")
    srv.add_argument("domain")
    remove_ao = commands.add_parser(
        "remove-activation-object",
        help="delete the forest's activation objects of a name, straight in the directory",
    )
    remove_ao.add_argument("name")
    return main


def _drift_arguments(args: argparse.Namespace) -> dict[str, Any]:
    arguments: dict[str, Any] = {"machine": args.machine, "registry": args.registry}
    if args.multi is not None:
        arguments |= {"value": args.multi, "kind": "REG_MULTI_SZ"}
    elif args.dword is not None:
        arguments |= {"value": args.dword, "kind": "REG_DWORD"}
    elif args.value is not None:
        arguments |= {"value": args.value, "kind": "REG_SZ"}
    if args.delete:
        arguments["delete"] = True
    if args.firewall:
        arguments["firewall"] = args.firewall == "on"
    return arguments


def _fault_arguments(args: argparse.Namespace) -> dict[str, Any]:
    arguments = {
        "machine": args.machine,
        "unreachable": args.unreachable,
        "reject_auth": None if args.reject_auth is None else args.reject_auth == "on",
        "latency": args.latency,
        "hresult": args.hresult,
        "method": args.method,
        "class_name": args.class_name,
        "timeout": args.timeout_method,
        "slow_method": args.slow_method,
        "seconds": args.seconds,
        "clear": args.clear,
    }
    return {key: value for key, value in arguments.items() if value is not None}


def _variants_text() -> str:
    from kmslab.variants import describe  # noqa: PLC0415

    return describe()


COMMANDS = {
    "up": up,
    "serve": serve,
    "down": down,
    "status": lambda args: control(args, "status", {}),
    "variants": lambda args: print(_variants_text()) or 0,
    "fault": lambda args: control(args, "fault", _fault_arguments(args)),
    "drift": lambda args: control(args, "drift", _drift_arguments(args)),
    "key": lambda args: control(
        args,
        "install_key",
        {"machine": args.machine, "channel": args.channel, "activate": args.activate},
    ),
    "restart": lambda args: control(args, "restart", {"machine": args.machine}),
    "advance": lambda args: control(args, "advance", {"days": args.days, "hours": args.hours}),
    "counters": lambda args: control(args, "counters", {"machine": args.machine}),
    "writes": lambda args: control(args, "writes", {"machine": args.machine}),
    "srv": lambda args: control(args, "srv", {"domain": args.domain}),
    "remove-activation-object": lambda args: control(
        args, "remove_activation_object", {"name": args.name}
    ),
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return COMMANDS[args.command](args)
