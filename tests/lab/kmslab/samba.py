"""The lab's Active Directory stand-in: a real Samba AD DC (internal DNS + KDC) in its own netns.

GSS-TSIG (Kerberos-signed DNS updates) is what Active Directory-integrated zones demand; Samba's
internal DNS speaks it with the same quirks as Windows in places (reference/dns-and-tooling.md
§2.5, §3.2). Provisioning needs root (an unprivileged provision panics in the sysvol ACL step,
§3.2 pitfall 4), so the DC runs in a network namespace of its own: loopback plus a veth pair whose
two ends both stay inside it, on 10.203.0.0/30, an address range that exists only in there.
Clients (kinit, ansible-playbook) run inside the namespace through :meth:`SambaDC.command`.
Every path Samba would otherwise use under /run or /var/lib is moved into one scratch directory.

For Active Directory-Based Activation (``forest_prep``), the forest is prepared as Windows'
adprep /forestprep does it: ``samba-tool domain functionalprep --forest-prep`` applies Microsoft's
forest-wide updates (Samba ships them as ``setup/adprep/WindowsServerDocs/Forest-Wide-Updates.md``),
whose operations 91 and 92 create ``CN=Microsoft SPP,CN=Services`` and ``CN=Activation Objects``
under it in the configuration partition. Samba 4.17's provision does not run them (provision runs
adprep from 4.19 on; older-windows-office-adba.md §5). :meth:`SambaDC.expose` then offers the DC's
LDAP, LDAPS and Kerberos ports on loopback outside the namespace (``netns_forward.py``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from kmslab.netns_forward import NamespaceForwarder

REQUIRED_TOOLS = ("samba", "samba-tool", "kinit", "ip", "dig")


def _password() -> str:
    # AD's default complexity rule wants upper, lower, digits and a symbol.
    return f"Kms-{secrets.token_hex(6)}-Lab9"


def missing_tools() -> list[str]:
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


@dataclass
class SambaDC:
    """A Samba AD DC for ``realm`` serving DNS and Kerberos on ``address`` inside ``namespace``."""

    realm: str = "KMS.TEST"
    netbios_domain: str = "KMS"
    host: str = "dc1"
    address: str = "10.203.0.1"
    prefix: int = 30
    namespace: str = field(default_factory=lambda: f"kmslab-samba-{os.getpid()}")
    password: str = field(default_factory=_password, repr=False)
    workdir: Path | None = None
    # Windows' forest preparation for ADBA (operations 91-92); functionalprep needs python3-markdown
    forest_prep: bool = False
    function_level: str = "2012_R2"
    # (certificate chain, key) for LDAPS, issued by the lab CA; None: Samba's self-signed one
    tls_files: tuple[Path, Path] | None = None
    forwarder: NamespaceForwarder | None = field(default=None, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _namespace_made: bool = field(default=False, repr=False)

    @property
    def domain(self) -> str:
        return self.realm.lower()

    @property
    def fqdn(self) -> str:
        return f"{self.host}.{self.domain}"

    @property
    def krb5_conf(self) -> Path:
        return self.workdir / "krb5.conf"

    @property
    def ccache(self) -> Path:
        return self.workdir / "ccache"

    def kerberos_env(self) -> dict[str, str]:
        """The environment a Kerberos client needs to use this realm and its ticket cache."""
        return {"KRB5_CONFIG": str(self.krb5_conf), "KRB5CCNAME": f"FILE:{self.ccache}"}

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the DC's network namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="kmslab-samba-"))
        try:
            self._make_namespace()
            self._provision()
            if self.forest_prep:
                self._forest_prep()
            self._write_krb5_conf()
            log = (self.workdir / "samba.log").open("wb")
            # Its own session, so that stop() can end samba and every worker it forked. With -i
            # samba stops at EOF on its stdin: a pipe only this process holds keeps it running
            # whatever stdin the lab was started with (/dev/null under ansible's command
            # module, as Molecule's create step runs it), and ends it if the lab dies.
            self._process = subprocess.Popen(
                self.command(["samba", "-i", "-s", str(self.smb_conf), "--debug-stdout"]),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def smb_conf(self) -> Path:
        return self.workdir / "etc" / "smb.conf"

    def _run(self, argv: list[str], timeout: float = 120, stdin: str | None = None) -> str:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv[:6])} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
        return done.stdout

    def _make_namespace(self) -> None:
        self._run(["ip", "netns", "add", self.namespace])
        self._namespace_made = True
        inside = ["ip", "netns", "exec", self.namespace]
        self._run([*inside, "ip", "link", "set", "lo", "up"])
        # Samba's DNS and KDC want a real interface; both ends of the pair stay in the namespace.
        self._run([*inside, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        self._run([*inside, "ip", "addr", "add", f"{self.address}/{self.prefix}", "dev", "veth0"])
        self._run([*inside, "ip", "link", "set", "veth0", "up"])
        self._run([*inside, "ip", "link", "set", "veth1", "up"])

    def _provision(self) -> None:
        run = self.workdir / "run"
        empty = self.workdir / "empty.conf"
        empty.write_text("")
        options = {
            "interfaces": "veth0",
            "bind interfaces only": "yes",
            "netbios name": self.host.upper(),
            # Defaults outside the target directory (§3.2 pitfall 1) would collide with another DC.
            "pid directory": str(run),
            "ncalrpc dir": str(run / "ncalrpc"),
            "winbindd socket directory": str(run / "winbindd"),
            "ntp signd socket directory": str(self.workdir / "ntp_signd"),
            # Provision copies resolv.conf's server as forwarder (§3.2 pitfall 2); nothing is
            # forwarded in the lab, and the DC's own records need no samba_dnsupdate.
            "dns forwarder": self.address,
            "dns update command": "/bin/true",
        }
        argv = [
            "samba-tool", "domain", "provision",
            # An empty base configuration: the distribution's smb.conf has shares a DC must not get.
            "-s", str(empty),
            f"--realm={self.realm}",
            f"--domain={self.netbios_domain}",
            "--server-role=dc",
            "--dns-backend=SAMBA_INTERNAL",
            f"--adminpass={self.password}",
            f"--host-name={self.host}",
            f"--host-ip={self.address}",
            f"--targetdir={self.workdir}",
        ]  # fmt: skip
        if self.tls_files is not None:
            chain, key = self.tls_files
            options.update({"tls enabled": "yes", "tls certfile": str(chain),
                            "tls keyfile": str(key), "tls cafile": ""})  # fmt: skip
        if self.forest_prep:
            # Active Directory takes a Kerberos (SASL GSSAPI) bind over LDAPS without SASL
            # signing, and refuses SASL integrity inside TLS ([MS-ADTS] 5.1.2.1 "Using SASL";
            # "Domain controller: LDAP server signing requirements": "must be negotiated unless
            # TLS/SSL is in use"). Samba's default ("yes") wants sign or seal even inside TLS;
            # allow_sasl_over_tls is Active Directory's rule. Simple binds need TLS under both.
            options["ldap server require strong auth"] = "allow_sasl_over_tls"
        argv += [f"--option={key}={value}" for key, value in options.items()]
        self._run(self.command(argv))

    def _forest_prep(self) -> None:
        """adprep /forestprep: Microsoft's forest-wide updates up to ``function_level``."""
        self._run(self.command([
            "samba-tool", "domain", "functionalprep", "--forest-prep",
            f"--function-level={self.function_level}",
            "-H", str(self.workdir / "private" / "sam.ldb"),
        ]))  # fmt: skip

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.domain.split("."))

    @property
    def configuration_dn(self) -> str:
        return f"CN=Configuration,{self.base_dn}"

    def expose(self, listen: str = "127.0.0.1") -> dict[int, int]:
        """LDAP (389), LDAPS (636) and Kerberos over TCP (88) on free ``listen`` ports here:
        inside port -> port here. Also writes :attr:`krb5_conf_outside` for clients here."""
        self.forwarder = NamespaceForwarder(self.namespace, self.address, listen)
        ports = self.forwarder.start((389, 636, 88))
        self.forwarder.wait_ready()
        # Only TCP is relayed: udp_preference_limit = 1 makes every request go over TCP.
        self.krb5_conf_outside.write_text(
            self.krb5_conf.read_text()
            .replace(f"kdc = {self.address}", f"kdc = {listen}:{ports[88]}")
            .replace("[libdefaults]\n", "[libdefaults]\n    udp_preference_limit = 1\n")
        )
        return ports

    @property
    def krb5_conf_outside(self) -> Path:
        return self.workdir / "krb5-outside.conf"

    def _write_krb5_conf(self) -> None:
        # No DNS for the KDC and no reverse lookups: the service name DNS@dc1.kms.test must map to
        # DNS/dc1.kms.test@KMS.TEST as written (§3.2 pitfall 5).
        self.krb5_conf.write_text(
            "[libdefaults]\n"
            f"    default_realm = {self.realm}\n"
            "    dns_lookup_kdc = false\n    dns_lookup_realm = false\n"
            "    rdns = false\n    dns_canonicalize_hostname = false\n"
            f"[realms]\n    {self.realm} = {{\n        kdc = {self.address}\n    }}\n"
            f"[domain_realm]\n    .{self.domain} = {self.realm}\n    {self.domain} = {self.realm}\n"
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"samba exited during start:\n{self.log_tail()}")
            if f"{self.fqdn}." in self._dig_soa() and self._try_kinit():
                return
            time.sleep(0.3)
        raise RuntimeError(
            f"samba did not serve DNS and Kerberos in {timeout} s:\n{self.log_tail()}"
        )

    def _dig_soa(self) -> str:
        done = subprocess.run(
            self.command(["dig", f"@{self.address}", self.domain, "SOA", "+short", "+time=1",
                          "+tries=1"]),
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return done.stdout

    def _try_kinit(self) -> bool:
        done = subprocess.run(
            self.command(["kinit", f"administrator@{self.realm}"]),
            input=f"{self.password}\n",
            capture_output=True,
            text=True,
            timeout=20,
            env={**os.environ, **self.kerberos_env()},
            check=False,
        )
        return done.returncode == 0

    def kinit(self) -> None:
        """A fresh ticket for the domain administrator in :attr:`ccache` (password on stdin)."""
        if not self._try_kinit():
            raise RuntimeError("kinit administrator failed")

    def stop(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()
            self.forwarder = None
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGTERM)
                self._process.wait(timeout=15)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process = None
        if self._namespace_made:
            # Anything still running in the namespace was started by this DC (a stray kinit or
            # samba worker): end it by its id before the namespace goes.
            for pid in self.namespace_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", self.namespace], check=False, timeout=30)
            self._namespace_made = False
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def namespace_pids(self) -> list[int]:
        done = subprocess.run(
            ["ip", "netns", "pids", self.namespace],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return [int(word) for word in done.stdout.split() if word.isdigit()]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / "samba.log" if self.workdir else None
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- reading DNS -----------------------------------------------------------------------------

    def query_srv(self, name: str) -> list[str]:
        """``priority weight port target`` of each SRV record at ``name``, sorted."""
        done = subprocess.run(
            self.command(["dig", f"@{self.address}", name, "SRV", "+short", "+tcp"]),
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return sorted(line.strip().lower() for line in done.stdout.splitlines() if line.strip())
