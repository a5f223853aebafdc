"""Keep tests and builds off the network.

`block()` replaces the socket entry points so that any attempt to reach a host other than
this machine raises `NetworkBlockedError` before a single packet leaves. Loopback stays
open: Jupyter kernels (the executed gallery) and gloo process groups talk over it.
"""

import ipaddress
import os
import socket
import sys
from pathlib import Path

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


class NetworkBlockedError(OSError):
    """Raised instead of opening a connection to another host."""


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(target) -> NetworkBlockedError:
    return NetworkBlockedError(
        f"network access blocked: tried to reach {target!r}. Tests and builds of this site are "
        "offline by design: data comes from the data root (see README, GUIDE_DATA_MIRROR)."
    )


_originals: dict[str, object] = {}


def block() -> None:
    """Refuse every connection and name lookup that would leave this machine."""
    if _originals:
        return
    _originals.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        sendto=socket.socket.sendto,
        getaddrinfo=socket.getaddrinfo,
    )

    def guard(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise _refuse(address)

    def connect(sock, address):
        guard(sock, address)
        return _originals["connect"](sock, address)

    def connect_ex(sock, address):
        guard(sock, address)
        return _originals["connect_ex"](sock, address)

    def sendto(sock, data, *args):
        guard(sock, args[-1])
        return _originals["sendto"](sock, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            raise _refuse(host)
        return _originals["getaddrinfo"](host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo


def is_blocked() -> bool:
    return bool(_originals)


def build_env() -> dict[str, str]:
    """Environment for the site build: every Python process started with it (mkdocs and the
    Jupyter kernels that execute the gallery) imports tools/offline_site/sitecustomize.py,
    which calls `block()`."""
    return {"GUIDE_OFFLINE": "1", "PYTHONPATH": str(Path(__file__).parent / "offline_site")}


def main(command: list[str]) -> None:
    """`python -m tools.offline CMD ...`: run CMD with the network blocked in it and in every
    Python process it starts (nox runs the site build this way)."""
    os.execvpe(command[0], command, {**os.environ, **build_env()})


if __name__ == "__main__":
    main(sys.argv[1:])
