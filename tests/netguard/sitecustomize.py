"""Network guard for tests/test_offline.py, which puts this folder first on PYTHONPATH so that every
Python process it starts imports it at start-up. With POLICYQA_NET_LOG set, any connection to a
host other than this machine (and any lookup of another host's name) is refused with an OSError and
written to that file, with where it came from; loopback and Unix sockets pass."""
from __future__ import annotations

import ipaddress
import os
import socket
import traceback

LOG = os.environ.get("POLICYQA_NET_LOG")
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or not isinstance(host, str):
        return True  # getaddrinfo(None, port): the local wildcard
    if host.lower() in LOCAL_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str, where) -> None:
    caller = " < ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in traceback.extract_stack()[-8:-2][::-1])
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {what} {where!r} from {caller}\n")
    raise OSError(f"offline test: {what} {where!r} refused")


def _guard_address(method: str):
    original = getattr(socket.socket, method)

    def guarded(self, *args):
        address = args[-1]  # connect(addr), connect_ex(addr), sendto(data[, flags], addr)
        if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _is_local(address[0]):
            _refuse(method, address)
        return original(self, *args)

    return guarded


def _guard_name(function):
    def guarded(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(function.__name__, host)
        return function(host, *args, **kwargs)

    return guarded


if LOG:
    for _method in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, _method, _guard_address(_method))
    socket.getaddrinfo = _guard_name(socket.getaddrinfo)
    socket.gethostbyname = _guard_name(socket.gethostbyname)
    socket.gethostbyname_ex = _guard_name(socket.gethostbyname_ex)
