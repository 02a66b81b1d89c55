"""The address guard for every fetch the system makes on a user's behalf (SSRF protection).

Before connecting, the host is resolved and every address is checked with :mod:`ipaddress`: loopback,
private, link-local (cloud metadata at 169.254.169.254), shared, multicast, reserved and unspecified
addresses are refused, so neither the registry nor a builder's crawler can be made to probe its own
network. Callers then connect to the checked address itself, so a second DNS answer cannot swap in
another one. ``allow_loopback`` admits loopback for tests and development only.
"""

from __future__ import annotations

import ipaddress
import socket

from mediamanager.errors import MediaManagerError, VerificationError

__all__ = ["public_address"]


def public_address(
    host: str,
    port: int,
    *,
    allow_loopback: bool = False,
    error: type[MediaManagerError] = VerificationError,
) -> str:
    """The address to connect to for ``host``; ``error`` if any address it resolves to is not public
    (loopback passes only with ``allow_loopback``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise error(f"cannot resolve {host!r}: {exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for ip in addresses:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback and allow_loopback:
            continue
        if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
            raise error(f"{host!r} resolves to the non-public address {ip}; refused")
    if not addresses:
        raise error(f"cannot resolve {host!r}")
    return str(addresses[0])
