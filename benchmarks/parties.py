"""Whose code a frame is: this collection, ansible-core, the WinRM client stack, NTLM."""

from __future__ import annotations

OURS = "ansible_collections/volact/kms/"
CORE = "ansible-core"
WINRM = "WinRM client (pywinrm, requests, urllib3)"
NTLM = "NTLM and encryption (requests-ntlm, pyspnego, cryptography)"
# Built-ins that block: in a worker they wait for the host's answer, in the main process for the
# workers (ansible-core polls its result queue and sleeps between polls).
WAITING = {"recv_into", "recv", "connect", "sendall", "poll", "select", "do_handshake", "read"}
WAITING |= {"sleep", "waitpid", "acquire", "wait"}
WAIT = "waiting (socket reads and connects; sleeps and polls)"
OTHER = "other (standard library at top level, interpreter)"
PACKAGES = {
    "ansible": CORE,
    "jinja2": CORE,
    "yaml": CORE,
    "markupsafe": CORE,
    "resolvelib": CORE,
    "winrm": WINRM,
    "requests": WINRM,
    "urllib3": WINRM,
    "pypsrp": WINRM,
    "requests_ntlm": NTLM,
    "spnego": NTLM,
    "cryptography": NTLM,
}


def builtin_name(name: str) -> str:
    """``recv_into`` for "<method 'recv_into' of '_socket.socket' objects>", ``sleep`` for
    "<built-in method time.sleep>"."""
    if "'" in name:
        return name.split("'")[1]
    return name.strip("<>").split(" ")[-1].split(".")[-1]


def party(filename: str, name: str = "") -> str | None:
    """Whose code a function is; None for the standard library and built-ins, whose time belongs
    to their caller."""
    if OURS in filename:
        return "volact.kms"
    if "site-packages/" in filename:
        package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        return PACKAGES.get(package.removesuffix(".py"), f"other packages ({package})")
    if filename == "~" and builtin_name(name) in WAITING:
        return WAIT
    return None


def short(filename: str) -> str:
    """A path as the tables show it: relative to the collection or to site-packages."""
    for marker in (OURS, "site-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
