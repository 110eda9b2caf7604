"""A running lab: BIND, the model fleet and the WS-Man server, with an Ansible inventory.

``Lab(shape).start()`` brings up a real BIND with the shape's zones, a model machine per shape
entry (its address published as an A record), and one WS-Man listener pair per machine on its own
loopback address; simulated KMS hosts publish SRV records into BIND with signed updates and
simulated clients discover hosts with real queries. Everything the model does runs on the
server's provider thread: tests reach the model through :meth:`Lab.call`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from kmslab.bind import BindServer
from kmslab.forest import LabForest
from kmslab.model import admin
from kmslab.model.directory import Directory
from kmslab.model.dns import SrvRecord, SrvTarget
from kmslab.model.firewall import KMS_RULE
from kmslab.model.fleet import Fleet
from kmslab.model.keys import KeyKind
from kmslab.model.license_packs import PACKS, fake_files
from kmslab.model.machine import Machine
from kmslab.provider import ModelProvider
from kmslab.variants import DEFAULT as DEFAULT_VARIANTS
from kmslab.variants import Variants
from kmslab.wsman.counters import CounterSnapshot
from kmslab.wsman.server import DEFAULT_ACCOUNTS, LabServer, MachineSpec, loopback_address
from kmslab.wsman.service import ServiceConfig

T = TypeVar("T")
TRANSPORTS = ("https", "http", "ntlm", "psrp")


# The inventory group of each MachineShape.role.
_GROUPS = {"kms_host": "kms_hosts", "client": "kms_clients", "adba_host": "kms_adba_hosts"}
# The activation object the kms_adba role makes in a lab with a forest (secrets.yml).
ADBA_OBJECT_NAME = "Lab forest WS2022"


@dataclass(frozen=True)
class MachineShape:
    """One simulated machine: ``image`` is a handle of ``kmslab.model.images.IMAGES``."""

    name: str
    image: str
    domain: str
    # The inventory group: "kms_host" (kms_hosts), "client" (kms_clients) or "adba_host"
    # (kms_adba_hosts: the domain member that activates the forest, site.yml's ADBA play)
    role: str = "client"
    initial_key: KeyKind | None = None
    language: str = "en-US"
    office: tuple[str, ...] = ()
    # The key Office comes with (a MAK put in by the Office Customization Tool, say); None: none.
    office_key: KeyKind | None = None
    updates: tuple[str, ...] = ()  # KB numbers installed, e.g. ("KB968912",) on Server 2008
    # Office volume license packs already installed, by host key group ("office2016",)
    license_packs: tuple[str, ...] = ()
    # The domain's Group Policy enables the Key Management Service firewall exception: how a
    # Windows 7 / Server 2008 R2 host is opened, where no firewall class answers WS-Management
    # (Microsoft's "Deploying KMS Activation" for that version).
    policy_opens_kms_port: bool = False


@dataclass(frozen=True)
class LabShape:
    machines: tuple[MachineShape, ...]
    zones: tuple[str, ...]
    host_key_group: str = "ws2022"  # the CSVLK the inventory hands to the kms_host role
    # Office host key groups ("office2010",) the secrets hand to the kms_host role, each with
    # its pack's fake license files (kms_host_office_keys).
    office_host_keys: tuple[str, ...] = ()
    # The DNS name of an Active Directory forest (a real Samba AD DC, forest.py) for ADBA;
    # machines whose domain is in it are domain-joined. Needs root (samba.py).
    forest: str | None = None


@dataclass
class Lab:
    shape: LabShape
    state_dir: Path | None = None
    http_port: int = 5985
    https_port: int = 5986
    network: str = "127.20.0.0/16"
    variants: Variants = DEFAULT_VARIANTS
    bind: BindServer = field(init=False)
    fleet: Fleet = field(init=False)
    server: LabServer = field(init=False)
    machines: dict[str, Machine] = field(init=False, default_factory=dict)
    forest: LabForest | None = field(init=False, default=None)
    started_seconds: float = field(init=False, default=0.0)
    _owns_state: bool = field(init=False, default=False)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Lab:
        begun = time.monotonic()
        if self.state_dir is None:
            self.state_dir = Path(tempfile.mkdtemp(prefix="kmslab-"))
            self._owns_state = True
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.bind = BindServer(zones=self.shape.zones)
        self.bind.start()
        try:
            self._start_fleet()
            self._start_forest()
            self.write_inventories()
        except BaseException:
            self.stop()
            raise
        self.started_seconds = time.monotonic() - begun
        return self

    def _start_fleet(self) -> None:
        self.fleet = Fleet(
            zones=self.shape.zones,
            discover=self._discover,
            publish=self._publish,
            variants=self.variants,
        )
        specs = []
        for index, shape in enumerate(self.shape.machines):
            address = loopback_address(index, self.network)
            machine = self.fleet.add(
                shape.name,
                shape.image,
                domain=shape.domain,
                language=shape.language,
                initial_key=shape.initial_key,
                office=shape.office,
                address=address,
                updates=shape.updates,
                license_packs=shape.license_packs,
            )
            self.machines[shape.name] = machine
            if shape.office_key is not None:
                admin.install_office_keys(machine, shape.office_key)
            if shape.policy_opens_kms_port:
                machine.firewall.set_enabled(KMS_RULE, True)
            self.bind.add_address(machine.fqdn, address)
            specs.append(
                MachineSpec(
                    machine.fqdn,
                    ModelProvider(machine),
                    address,
                    self.http_port,
                    self.https_port,
                    max_envelope_kb=machine.image.winrm_max_envelope_kb,
                )
            )
        self.server = LabServer(
            self.state_dir / "wsman", config=ServiceConfig(variants=self.variants)
        )
        self.server.start()
        self.server.add_machines(specs)

    def _start_forest(self) -> None:
        if self.shape.forest is None:
            return
        self.forest = LabForest(self.shape.forest, self.server.ca).start()
        self.fleet.directory = Directory(
            self.forest.domain,
            self.forest.dc.configuration_dn,
            self.forest.connect,
            rdn_form=self.variants["adba_object_rdn"],
            second_hop_hresult=int(self.variants["adba_second_hop"], 16),
            dc_name_form=self.variants["ntdomain_dc_name"],
            default_acl=self.forest.default_acl,
        )
        # Members read activation objects as their own computer accounts (model/adba.py).
        self.fleet.directory.computer_connect = self.forest.connect_computer

    def stop(self) -> None:
        if self.forest is not None:
            self.forest.stop()
            self.forest = None
        server = getattr(self, "server", None)
        if server is not None:
            server.stop()
        bind = getattr(self, "bind", None)
        if bind is not None:
            bind.stop()
        if self._owns_state and self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- DNS: the model's two callables, backed by the real BIND --------------------------------

    def _discover(self, domain: str) -> Sequence[SrvTarget]:
        return [(r.target, r.port, r.priority, r.weight) for r in self.bind.query_srv(domain)]

    def _publish(self, records: Sequence[SrvRecord]) -> bool:
        """One signed update per host and domain: those records replace the host's records there
        (as ``InMemoryDns.publish`` does)."""
        grouped: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
        for record in records:
            key = (record.domain, record.target)
            grouped.setdefault(key, []).append((record.port, record.priority, record.weight))
        ok = True
        for (domain, target), rdata in grouped.items():
            try:
                rcode = self.bind.publish_srv_set(domain, target, rdata)
            except (KeyError, OSError):
                rcode = "NOTZONE"
            ok = ok and rcode == "NOERROR"
        return ok

    # -- access ---------------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the provider thread: the only safe way to touch the model while the
        server runs."""
        return self.server.call(fn, *args, **kwargs)

    def machine(self, name: str) -> Machine:
        return self.machines[name]

    def names(self, role: str | None = None) -> list[str]:
        return [m.name for m in self.shape.machines if role is None or m.role == role]

    @property
    def host_key(self) -> str:
        return self.fleet.keys.csvlk(self.shape.host_key_group).key

    @property
    def password(self) -> str:
        return DEFAULT_ACCOUNTS[0].password

    def writes(self, name: str) -> list[Any]:
        return self.call(lambda: list(self.machines[name].journal.writes))

    def counters(self, name: str) -> CounterSnapshot:
        """What one machine's WS-Man listener has seen (thread-safe)."""
        return self.server.machine(self.machines[name].fqdn).counters.snapshot()

    def slow_method(
        self,
        name: str,
        method: str,
        seconds: float,
        *,
        class_name: str | None = None,
        times: int | None = None,
    ) -> None:
        """Make ``method`` on machine ``name`` take ``seconds`` of simulated time, ``times`` times
        or until ``clear_faults``: it runs to the end, and the client gets ``w:TimedOut`` when
        that is longer than its OperationTimeout as capped by the ``operation_timeout_cap``
        variant (MS-WSMV 3.1.4.1.6). Nothing sleeps."""
        listener = self.server.machine(self.machines[name].fqdn)
        listener.slow(method, seconds, class_name=class_name, times=times)

    def requests(self, name: str) -> dict[str, int]:
        """WS-Man requests by operation (Enumerate, Get, Invoke, Create, ...) on one machine."""
        return dict(self.counters(name).operations)

    # -- inventory ------------------------------------------------------------------------------

    def inventory(self, transport: str = "https") -> dict[str, Any]:
        """An Ansible inventory: ``https`` (winrm, basic, lab CA validated), ``http`` (winrm,
        basic over plain HTTP), ``ntlm`` (winrm, NTLM with message encryption over HTTP) or
        ``psrp`` (basic over HTTPS with the lab CA)."""
        common: dict[str, Any] = {
            "ansible_user": DEFAULT_ACCOUNTS[0].username,
            "ansible_password": DEFAULT_ACCOUNTS[0].password,
        }
        if transport == "https":
            common |= {
                "ansible_connection": "winrm",
                "ansible_winrm_scheme": "https",
                "ansible_winrm_transport": "basic",
                "ansible_winrm_server_cert_validation": "validate",
                "ansible_winrm_ca_trust_path": str(self.server.ca_path),
            }
        elif transport == "http":
            common |= {
                "ansible_connection": "winrm",
                "ansible_winrm_scheme": "http",
                "ansible_winrm_transport": "basic",
                "ansible_winrm_message_encryption": "never",
            }
        elif transport == "ntlm":
            # What most fleets run: NTLM over HTTP with WinRM message encryption.
            common |= {
                "ansible_connection": "winrm",
                "ansible_winrm_scheme": "http",
                "ansible_winrm_transport": "ntlm",
                "ansible_winrm_message_encryption": "always",
            }
        elif transport == "psrp":
            common |= {
                "ansible_connection": "psrp",
                "ansible_psrp_protocol": "https",
                "ansible_psrp_auth": "basic",
                "ansible_psrp_cert_validation": "validate",
                "ansible_psrp_ca_cert": str(self.server.ca_path),
            }
        else:
            raise ValueError(f"unknown transport {transport!r}: {', '.join(TRANSPORTS)}")
        groups: dict[str, Any] = {"kms_hosts": {"hosts": {}}, "kms_clients": {"hosts": {}}}
        if self.forest is not None:
            groups["kms_adba_hosts"] = {"hosts": {}, "vars": self._adba_role_vars()}
        for shape in self.shape.machines:
            machine = self.machines[shape.name]
            group = _GROUPS[shape.role]
            listener = self.server.machine(machine.fqdn)
            groups[group]["hosts"][shape.name] = {
                "ansible_host": machine.address,
                "ansible_port": listener.port("http" if transport in ("http", "ntlm") else "https"),
                "kmslab_fqdn": machine.fqdn,
                "kmslab_domain": machine.domain,
            }
        return {"all": {"vars": common, "children": groups}}

    def _adba_role_vars(self) -> dict[str, Any]:
        """The kms_adba role's directory settings (the password is in secrets.yml)."""
        assert self.forest is not None
        ad = self.forest.settings()
        return {
            "kms_adba_ldap_server": ad["kmslab_ad_server"],
            "kms_adba_ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
            "kms_adba_ldap_port": ad["kmslab_ad_ldaps_port"],
            "kms_adba_ldap_ca_path": ad["kmslab_ad_ca"],
            "kms_adba_ldap_auth": "simple",
            "kms_adba_ldap_user": ad["kmslab_ad_admin"],
        }

    def license_files(self, pack: str) -> list[Path]:
        """The lab's fake ``.xrm-ms`` files of an Office volume license pack, as an administrator
        would extract them from Microsoft's pack (license_packs.py): give them to kms_host_key."""
        if self.state_dir is None:
            raise RuntimeError("the lab is not started")
        folder = self.state_dir / "license-packs" / pack
        return [folder / name for name in PACKS[pack].files]

    def write_license_files(self) -> None:
        """``license-packs/<pack>/*.xrm-ms`` under the state directory: fake files that only
        the lab recognises, one folder per Office version."""
        for pack in PACKS:
            for path, (_name, text) in zip(
                self.license_files(pack), fake_files(pack).items(), strict=True
            ):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")

    def write_inventories(self) -> dict[str, Path]:
        if self.state_dir is None:
            raise RuntimeError("the lab is not started")
        paths = {}
        self.write_license_files()
        for transport in TRANSPORTS:
            path = self.state_dir / f"inventory-{transport}.yml"
            path.write_text(yaml.safe_dump(self.inventory(transport), sort_keys=False))
            paths[transport] = path
        # What a real site keeps in a vault: the host key the kms_host role installs and the
        # DNS update key kms_srv_record uses. The lab writes them where tests can find them.
        secrets = {
            "kms_host_key": self.host_key,
            "kmslab_dns_server": self.bind.address,
            "kmslab_dns_port": self.bind.port,
            "kmslab_tsig_key_name": self.bind.key_name,
            "kmslab_tsig_secret": self.bind.key_secret,
        }
        if self.shape.office_host_keys:
            secrets["kms_host_office_keys"] = [
                {
                    "release": int(group.removeprefix("office")),
                    "key": self.fleet.keys.csvlk(group).key,
                    "license_files": [str(path) for path in self.license_files(group)],
                }
                for group in self.shape.office_host_keys
            ]
        if self.forest is not None:
            secrets["kms_adba_ldap_password"] = self.forest.settings()["kmslab_ad_admin_password"]
            # The same CSVLK serves a KMS host and the forest (docs/adba.md).
            secrets["kms_adba_objects"] = [{"name": ADBA_OBJECT_NAME, "product_key": self.host_key}]
        path = self.state_dir / "secrets.yml"
        path.write_text(yaml.safe_dump(secrets, sort_keys=False))
        path.chmod(0o600)
        paths["secrets"] = path
        if self.forest is not None:
            paths["active_directory"] = self.state_dir / "active-directory.yml"
            self.forest.write_settings(paths["active_directory"])
        return paths

    def status(self) -> dict[str, Any]:
        return {
            "machines": len(self.machines),
            "kms_hosts": self.names("kms_host"),
            "zones": list(self.shape.zones),
            "dns": f"{self.bind.address}:{self.bind.port}",
            "ca": str(self.server.ca_path),
            "started_seconds": round(self.started_seconds, 3),
            "state_dir": str(self.state_dir),
            "variants": self.variants.differs(),
        }

    def dump_status(self) -> str:
        return json.dumps(self.status(), indent=2)
