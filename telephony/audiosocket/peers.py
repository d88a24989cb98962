"""Who may connect to an AudioSocket server: an allow-list of addresses or networks (the PBX),
and how a refused peer's address is written in logs (masked: the last part hidden)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from telephony.audiosocket.errors import AudioSocketError

LOOPBACK = ("127.0.0.1", "::1")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class PeerFilter:
    """`allows(address)`: is a connection from this address one of the configured peers?"""

    def __init__(self, peers: Iterable[str]) -> None:
        self.networks: tuple[Network, ...] = tuple(parse_peer(p) for p in peers)
        if not self.networks:
            raise AudioSocketError(
                "no AudioSocket peers allowed: give the PBX's address (setting audiosocket_peers)"
            )

    def allows(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d
        return any(ip.version == n.version and ip in n for n in self.networks)


def parse_peer(text: str) -> Network:
    """An address ("10.0.0.5") or a network ("10.0.0.0/24"); a host name is not accepted (the
    check is made on the connecting address, and a name could change what it allows)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise AudioSocketError(
            f"AudioSocket peer {text!r} is not an IP address or network (e.g. 10.0.0.5 or "
            "10.0.0.0/24); set audiosocket_peers to the address the PBX connects from"
        ) from None


def mask_address(address: object) -> str:
    """An address for the log: the host part hidden ("198.51.100.x", "2001:db8:1:2:x")."""
    text = str(address)
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return "?"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return ".".join(str(ip).split(".")[:3]) + ".x"
    groups = ip.exploded.split(":")[:4]
    return ":".join(g.lstrip("0") or "0" for g in groups) + ":x"
