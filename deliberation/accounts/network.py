"""The client's network address, read the same way by every limit (sign-in codes, password
lockout through django-axes, check-in codes).

Behind ``SIFANG_PROXY_COUNT`` trusted reverse proxies, each proxy appends the address it received
the request from to ``X-Forwarded-For``; the entry that many places from the right is therefore
the client as the outermost trusted proxy saw it. Entries further left were written by the client
and are ignored, so a client cannot choose the address it is counted under. With no proxy (0) the
socket's peer, ``REMOTE_ADDR``, is the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# IPv6 clients usually hold a whole /64: count them per /64 so a limit is not one per address.
IPV6_LIMIT_PREFIX = 64


def _valid_address(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(
    *, remote_addr: str | None, forwarded_for: str | None, proxy_count: int
) -> str | None:
    """The client's address given the socket peer, the ``X-Forwarded-For`` header and the number
    of trusted proxies in front of the application.

    With ``proxy_count`` N > 0 it is the N-th entry of ``forwarded_for`` from the right. When the
    header holds fewer than N entries, or that entry is not an IP address, the answer is
    ``remote_addr`` (a proxy's address: coarse, but never something the client wrote). Returns
    ``None`` when no valid address is known.
    """
    if proxy_count > 0 and forwarded_for:
        chain = [entry.strip() for entry in forwarded_for.split(",")]
        chain = [entry for entry in chain if entry]
        if len(chain) >= proxy_count:
            found = _valid_address(chain[-proxy_count])
            if found is not None:
                return found
    return _valid_address(remote_addr)


def client_ip(request: HttpRequest) -> str | None:
    """:func:`client_address` for a request under ``settings.SIFANG_PROXY_COUNT``.

    Also django-axes' ``AXES_CLIENT_IP_CALLABLE``, so the password lockout counts the same
    address as the other limits.
    """
    return client_address(
        remote_addr=request.META.get("REMOTE_ADDR"),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"),
        proxy_count=int(getattr(settings, "SIFANG_PROXY_COUNT", 0) or 0),
    )


def address_key(ip: str | None) -> str:
    """The key a rate limit counts ``ip`` under: the address itself for IPv4, its /64 for IPv6,
    ``unknown`` when there is none."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_LIMIT_PREFIX}", strict=False))
    return str(address)
