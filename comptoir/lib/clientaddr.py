"""The address of the client that sent a request, for throttling and logs.

Behind a reverse proxy, REMOTE_ADDR is the proxy; the client is in ``X-Forwarded-For``, which
every proxy appends to and anyone can pre-fill. Only the right-hand end is trustworthy: walk it
from the right, skip the proxies we trust, and the first other hop is the client. Everything to
its left was written by the client itself and is ignored.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str]) -> list[Network]:
    """``["10.0.0.0/8", "192.0.2.7"]`` as networks; raises ValueError naming a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"Not an IP address or network: {value!r}") from exc
    return networks


def _parse_hop(hop: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    hop = hop.strip().strip('"')
    if hop.startswith("["):  # [2001:db8::1]:443
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:  # 192.0.2.1:443
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def client_address(meta: dict, *, behind_proxy: bool, trusted_proxies: list[Network] = ()) -> str:
    """The client's address from a request's META.

    Without a proxy: REMOTE_ADDR. Behind one: the right-most ``X-Forwarded-For`` hop that is not a
    trusted proxy; REMOTE_ADDR when the header is missing or its right-hand end is not an address.
    """
    remote = str(meta.get("REMOTE_ADDR") or "")[:64]
    if not behind_proxy:
        return remote
    hops = [h for h in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse_hop(hop)
        if address is None:
            break
        if not any(address in network for network in trusted_proxies):
            return str(address)
    return remote
