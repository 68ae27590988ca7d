"""The SSRF guard: a webhook reaches public addresses only, checked when it is registered and
again at each delivery, and the delivery connects to the very address that was checked.

Refused: loopback, private, link-local, shared (CGNAT), multicast, reserved and unspecified
addresses, and IPv6 forms that embed an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64); anything `ipaddress`
does not call global. A name is resolved and refused if *any* of its addresses is refused,
so a name with one public and one private record cannot pick its target. With
CHUTE_WEBHOOK_ALLOW_PRIVATE=1 (development, tests) every address and plain http are allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from files.webhooks.errors import InvalidWebhook, WebhookTargetRefused

MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64 prefixes (RFC 6052, RFC 8215): the IPv4 address they embed could be anything.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


@dataclass(frozen=True)
class Target:
    """Where one delivery goes: the checked `addresses` (tried in order), and the URL's own
    name for TLS and Host."""

    scheme: str
    host: str
    port: int
    path: str  # with the query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def private_allowed() -> bool:
    return bool(settings.CHUTE_WEBHOOK_ALLOW_PRIVATE)


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may have; InvalidWebhook otherwise."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidWebhook(
            f"The url must be a web address of at most {MAX_URL_LENGTH} characters."
        )
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidWebhook("The url may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidWebhook("The url is not a valid web address.") from None
    allowed = ("https", "http") if private_allowed() else ("https",)
    if parts.scheme.lower() not in allowed:
        raise InvalidWebhook("The url must start with https:// (deliveries are sent over TLS).")
    if not parts.hostname:
        raise InvalidWebhook("The url must name a host, as in https://example.com/hooks.")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhook("The url may not carry a user name or password.")
    if parts.fragment:
        raise InvalidWebhook("The url may not have a #fragment.")
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def refused(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped
        or address.sixtofour
        or address.teredo
        or any(address in network for network in NAT64)
    ):
        return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def addresses(host: str, port: int) -> list[IPAddress]:
    """Every address `host` stands for: itself when it is an IP literal, else its DNS records."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookTargetRefused(f"The name {host} does not resolve to an address.") from None
    # Scope ids ("fe80::1%eth0") are not part of the address.
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return list(dict.fromkeys(found))


def resolve(url: str) -> Target:
    """The target a delivery to `url` connects to; WebhookTargetRefused if it is not public."""
    scheme, host, port, path = parse(url)
    found = addresses(host, port)
    if not private_allowed():
        for address in found:
            if refused(address):
                what = host if str(address) == host else f"{host} ({address})"
                raise WebhookTargetRefused(
                    f"The address {what} is on loopback, a private network or another "
                    "non-public range; webhooks are sent to public addresses only."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(map(str, found)))
