"""The SSRF guard: webhook URLs must point at public hosts, checked when an endpoint is
registered and again, on the addresses resolved, before each delivery."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def webhook_url_validate(url: str) -> None:
    parts = urlsplit(url)
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise ValidationError({"url": ["Webhook URLs must use https."]})
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"url": ["Enter a full http(s) URL."]})
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and is_private_host(parts.hostname):
        raise ValidationError({"url": ["Webhook URLs must point at a public host."]})


def is_private_host(hostname: str) -> bool:
    """True when the host is, or resolves to, any address that is not globally reachable
    (loopback, private, link-local, carrier-grade NAT 100.64.0.0/10, documentation, reserved,
    multicast...)."""
    if hostname.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(hostname, None)}
    except OSError:
        return False  # unresolvable now; checked again at delivery time
    return any(not _is_global(address) for address in addresses)


def _is_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip.is_global and not ip.is_multicast
