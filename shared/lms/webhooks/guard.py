"""The SSRF guard: a webhook URL is resolved and checked at send time; the sender connects to the
vetted address only."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


class Refused(Exception):
    """This URL must not be called; str(error) says why (safe to show the lender)."""


class Unresolved(Refused):
    """The host name gave no address. `temporary` when the resolver may answer later (EAI_AGAIN, a
    server failure, a timeout: worth another attempt); not when the name definitively does not exist
    (EAI_NONAME, EAI_NODATA: no such name, or no address for it) or can never be looked up."""

    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class Target:
    """Where a vetted request goes: connect to `address`:`port` (an IP literal, never re-resolved),
    send `Host: host_header`, and for https check the certificate against `host` (SNI)."""

    scheme: str  # "http" or "https"
    host: str  # the URL's host name as written (lower-cased; IPv6 without brackets)
    port: int
    address: str  # the vetted IP address to connect to
    path: str  # path and query, at least "/"
    host_header: str  # host, with ":port" when it is not the scheme's default (IPv6 in brackets)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}

# Instance metadata services: credentials live here, so they get their own reason.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IPv6
    )
)

# Special-purpose ranges (IANA registries) that are not globally reachable, checked in order, so
# the more specific reason wins; `not is_global` below catches anything these miss.
_IPV4_RANGES = [
    (ipaddress.IPv4Network(net), why)
    for net, why in (
        ("255.255.255.255/32", "broadcast address"),
        ("0.0.0.0/8", "'this network' address"),
        ("127.0.0.0/8", "loopback address"),
        ("10.0.0.0/8", "private address"),
        ("172.16.0.0/12", "private address"),
        ("192.168.0.0/16", "private address"),
        ("100.64.0.0/10", "shared address space (carrier-grade NAT) address"),
        ("169.254.0.0/16", "link-local address"),
        ("192.0.0.0/24", "IETF protocol assignment address"),
        ("192.0.2.0/24", "documentation address"),
        ("198.51.100.0/24", "documentation address"),
        ("203.0.113.0/24", "documentation address"),
        ("192.88.99.0/24", "reserved address"),  # deprecated 6to4 relay anycast
        ("198.18.0.0/15", "benchmarking address"),
        ("224.0.0.0/4", "multicast address"),
        ("240.0.0.0/4", "reserved address"),
    )
]
_IPV6_RANGES = [
    (ipaddress.IPv6Network(net), why)
    for net, why in (
        ("64:ff9b:1::/48", "local-use NAT64 address"),
        ("100::/64", "discard-only address"),
        ("2001:db8::/32", "documentation address"),
        ("3fff::/20", "documentation address"),
        ("2001::/23", "IETF protocol assignment address"),  # includes Teredo 2001::/32
        ("5f00::/16", "segment routing (SRv6) address"),
        ("fc00::/7", "private (unique local) address"),
        ("fe80::/10", "link-local address"),
        ("fec0::/10", "site-local address"),
        ("ff00::/8", "multicast address"),
    )
]
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_CHARS = frozenset("0123456789abcdefx.")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


@dataclass(frozen=True)
class _Parsed:
    """A URL that passed the syntax checks; `address` is set when the host is an IP literal."""

    scheme: str
    host: str
    port: int
    path: str
    address: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def vet(
    url: str,
    *,
    resolve: Resolver | None = None,
    allowed: frozenset[tuple[str, int]] | None = None,
    https_only: bool | None = None,
) -> Target:
    """Check `url`, resolve its host once and return where to connect; raise Refused if any
    resolved address is dangerous. `allowed` (default: allowed_targets()) lists (ip, port) pairs
    permitted anyway; `https_only` (default: env WEBHOOK_HTTPS_ONLY, on) refuses plain http except
    to allowed targets."""
    parsed = _parse(url)
    allowed = allowed_targets() if allowed is None else _normalise_allowed(allowed)
    https_only = _https_only_from_env() if https_only is None else https_only
    if parsed.address is not None:
        addresses = [parsed.address]
    else:
        addresses = _resolve(parsed.host, parsed.port, resolve or _system_resolve)
    _check_addresses(parsed, addresses, allowed, https_only)
    return Target(
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port,
        address=str(addresses[0]),
        path=parsed.path,
        host_header=parsed.host_header,
    )


def check_syntax(url: str) -> None:
    """The checks that need no DNS (run when a subscription is saved): raise Refused if `url`
    can never be vetted. Templates may appear in the path and query; only the host and port are
    checked strictly, and an IP-literal host is checked like a resolved address."""
    parsed = _parse(url)
    if parsed.address is not None:
        _check_addresses(parsed, [parsed.address], allowed_targets(), _https_only_from_env())
    elif parsed.scheme == "http" and _https_only_from_env():
        # Allowed targets are IP:port pairs: a name can never be one, so plain http to it never goes out.
        raise Refused(
            "plain http is not allowed (use https; a local target allowed by "
            "WEBHOOK_ALLOWED_TARGETS is written as its IP address)"
        )


def _allowed_entries() -> list[str]:
    """Env WEBHOOK_ALLOWED_TARGETS, and the entries of the file env WEBHOOK_ALLOWED_TARGETS_FILE names
    (read at every check: the local stack changes it while it runs)."""
    entries = os.environ.get("WEBHOOK_ALLOWED_TARGETS", "").split(",")
    path = os.environ.get("WEBHOOK_ALLOWED_TARGETS_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as listed:
                entries += listed.read().replace("\n", ",").split(",")
        except FileNotFoundError:
            pass
    return entries


def allowed_targets() -> frozenset[tuple[str, int]]:
    """The (ip, port) pairs in env WEBHOOK_ALLOWED_TARGETS ("127.0.0.1:8080,[::1]:9000") and in the file
    WEBHOOK_ALLOWED_TARGETS_FILE names, which may be called even though forbidden() refuses them;
    ValueError if an entry is malformed."""
    return frozenset(parse_target(entry) for entry in _allowed_entries() if entry.strip())


def parse_target(entry: str) -> tuple[str, int]:
    """An allowed target's "ip:port" (IPv6 as "[ip]:port") as (ip, port); ValueError naming the entry."""
    entry = entry.strip()
    host, _, port = entry.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        valid = ":" in host
    else:
        valid = ":" not in host  # an IPv6 address needs brackets to be told from its port
    try:
        if not (valid and port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError
        return str(ipaddress.ip_address(host)), int(port)
    except ValueError:
        raise ValueError(
            f"WEBHOOK_ALLOWED_TARGETS: bad entry {entry!r} (expected ip:port, IPv6 as [ip]:port)"
        ) from None


def forbidden(address: IPAddress) -> str | None:
    """Why a request must not go to `address` (a short reason naming it), or None if it may."""
    if address in _METADATA:
        return f"cloud metadata address {address}"
    if isinstance(address, ipaddress.IPv6Address):
        return _forbidden_v6(address)
    if address.is_unspecified:
        return f"unspecified address {address}"
    for network, why in _IPV4_RANGES:
        if address in network:
            return f"{why} {address}"
    return _forbidden_by_attributes(address)


def _forbidden_v6(address: ipaddress.IPv6Address) -> str | None:
    """forbidden() for IPv6, including the IPv4 address an IPv6 address may carry."""
    if address.scope_id:
        return f"scoped address {address}"
    if address.is_unspecified:
        return f"unspecified address {address}"
    if address == ipaddress.IPv6Address("::1"):
        return f"loopback address {address}"
    # IPv4-mapped and well-known-prefix NAT64 addresses are IPv4 addresses in IPv6 form: the
    # embedded address alone decides.
    value = int(address)
    if address.ipv4_mapped is not None:
        return _embedded(address.ipv4_mapped, "IPv4-mapped", address)
    if address in _NAT64_WELL_KNOWN:
        return _embedded(ipaddress.IPv4Address(value & 0xFFFFFFFF), "NAT64", address)
    # Other embeddings: a forbidden embedded address is refused, then the IPv6 checks apply.
    for kind, ipv4 in _embeddings(address):
        if reason := _embedded(ipv4, kind, address):
            return reason
    for network, why in _IPV6_RANGES:
        if address in network:
            return f"{why} {address}"
    return _forbidden_by_attributes(address)


def _embeddings(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries besides the mapped and well-known NAT64 forms."""
    value = int(address)
    embedded = []
    if value >> 32 == 0:
        embedded.append(("IPv4-compatible", ipaddress.IPv4Address(value)))
    if address.sixtofour is not None:
        embedded.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        embedded += [("Teredo server", server), ("Teredo client", client)]
    if address in _NAT64_LOCAL:
        embedded.append(("NAT64", ipaddress.IPv4Address(value & 0xFFFFFFFF)))
    return embedded


def _embedded(ipv4: ipaddress.IPv4Address, kind: str, address: ipaddress.IPv6Address) -> str | None:
    """The reason to refuse `address` for the IPv4 address it embeds, if any."""
    reason = forbidden(ipv4)
    return f"{reason} (embedded in {kind} address {address})" if reason else None


def _forbidden_by_attributes(address: IPAddress) -> str | None:
    """The catch-all after the explicit tables: whatever the ipaddress module knows is special."""
    for attribute, why in (
        ("is_loopback", "loopback address"),
        ("is_private", "private address"),
        ("is_link_local", "link-local address"),
        ("is_multicast", "multicast address"),
        ("is_reserved", "reserved address"),
    ):
        if getattr(address, attribute):
            return f"{why} {address}"
    if not address.is_global:
        return f"non-global address {address}"
    return None


def _parse(url: str) -> _Parsed:
    """The syntax checks shared by vet() and check_syntax(): raise Refused or return the parts."""
    if not isinstance(url, str):
        raise Refused("the URL must be a string")
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"URL too long ({len(url)} characters, at most {MAX_URL_LENGTH})")
    # urlsplit silently drops some of these, so they are refused before it sees the URL.
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise Refused("URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise Refused(f"malformed URL: {error}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise Refused("URL has no scheme (use https)")
    if scheme not in DEFAULT_PORTS:
        raise Refused(f"scheme {scheme!r} is not allowed (use https)")
    netloc = parts.netloc
    if "@" in netloc:
        raise Refused("credentials (user:password@) are not allowed in the URL")
    host, port_text = _split_netloc(netloc)
    if not host:
        raise Refused("URL has no host")
    host, address = _parse_host(host)
    port = _parse_port(port_text, DEFAULT_PORTS[scheme])
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Parsed(scheme=scheme, host=host, port=port, path=path, address=address)


def _split_netloc(netloc: str) -> tuple[str, str | None]:
    """Split "host[:port]" or "[ipv6][:port]"; the port text is None when there is no colon."""
    if netloc.startswith("["):
        end = netloc.find("]")
        rest = netloc[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise Refused("malformed IPv6 host")
        return netloc[: end + 1], rest[1:] if rest else None
    if ":" not in netloc:
        return netloc, None
    host, _, port = netloc.rpartition(":")
    if ":" in host:
        raise Refused("an IPv6 host must be written in brackets")
    return host, port


def _parse_host(host: str) -> tuple[str, IPAddress | None]:
    """The host as it is sent (lower-case, ASCII, IP literals normalised) and its address if it
    is an IP literal; raise Refused for anything that could be read two ways."""
    if "%" in host:
        if host.startswith("["):
            raise Refused("IPv6 zone ids are not allowed")
        raise Refused("percent-encoded host names are not allowed")
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise Refused(f"malformed IPv6 host {host}") from None
        return str(address), address
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise Refused("host name is not a valid international domain name") from None
    host = host.lower()
    # Numeric forms the C resolver accepts (0x7f.1, 2130706433, 0177.0.0.1, 127.1) are IPv4
    # addresses, never names to look up. Checked after IDNA, which maps e.g. fullwidth digits.
    numeric = host[:-1] if host.endswith(".") else host
    if numeric and set(numeric) <= _NUMERIC_CHARS:
        try:
            v4 = ipaddress.IPv4Address(socket.inet_aton(numeric))
        except OSError:
            if _NUMERIC_LABEL.fullmatch(numeric.rpartition(".")[2]):
                raise Refused(f"malformed numeric host {host!r}") from None
        else:
            return str(v4), v4
    labels = numeric.split(".")
    if len(numeric) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Refused(f"invalid host name {host!r}")
    return host, None


def _parse_port(text: str | None, default: int) -> int:
    """The port number from the text after the host's colon (None: the scheme's default)."""
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()):
        raise Refused(f"malformed port {text!r}")
    port = int(text)
    if not 1 <= port <= 65535:
        raise Refused(f"port {port} is out of range (1-65535)")
    return port


# getaddrinfo's answers that mean the name has no address, now or later (the others, EAI_AGAIN and
# EAI_FAIL included, may be a resolver's passing trouble).
_NO_SUCH_NAME = frozenset(
    getattr(socket, code) for code in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY") if hasattr(socket, code)
)


def _resolve(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """All addresses `host` resolves to, once, in the resolver's order and without repeats; Unresolved
    (temporary or not) when there are none."""
    try:
        answers = list(resolve(host, port))
    except socket.gaierror as error:
        raise Unresolved(f"cannot resolve {host}: {error}", temporary=error.errno not in _NO_SUCH_NAME) from None
    except UnicodeError as error:  # the name cannot be encoded for a lookup: it never will be
        raise Unresolved(f"cannot resolve {host}: {error}", temporary=False) from None
    except OSError as error:
        raise Unresolved(f"cannot resolve {host}: {error}", temporary=True) from None
    if not answers:
        raise Unresolved(f"cannot resolve {host}: no addresses", temporary=False)
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            raise Refused(f"cannot resolve {host}: invalid address {answer!r}") from None
        if address not in addresses:
            addresses.append(address)
    return addresses


def _system_resolve(host: str, port: int) -> list[str]:
    """The default resolver: every IPv4 and IPv6 address getaddrinfo gives for a stream socket."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _check_addresses(
    parsed: _Parsed, addresses: list[IPAddress], allowed: frozenset[tuple[str, int]], https_only: bool
) -> None:
    """Refuse unless every address is allowed or harmless, and plain http goes only to allowed
    targets when `https_only` is on."""
    # A metadata address holds credentials: no allowed target opens it.
    is_allowed = [(str(address), parsed.port) in allowed and address not in _METADATA for address in addresses]
    for address, ok in zip(addresses, is_allowed, strict=True):
        if not ok and (reason := forbidden(address)):
            hint = _local_receiver_hint(address, parsed.port)
            if parsed.address is not None:
                raise Refused(f"refused: {reason}{hint}")
            raise Refused(f"{parsed.host} resolves to a refused address: {reason}{hint}")
    if parsed.scheme == "http" and https_only and not all(is_allowed):
        raise Refused("plain http is not allowed (use https)")


def _local_receiver_hint(address: IPAddress, port: int) -> str:
    """How a receiver on this machine or its network is allowed on purpose (never a metadata address)."""
    if address in _METADATA or not (address.is_loopback or address.is_private) or address.is_unspecified:
        return ""
    target = f"[{address}]:{port}" if isinstance(address, ipaddress.IPv6Address) else f"{address}:{port}"
    return (
        f" (to call a receiver there on purpose, add {target} to WEBHOOK_ALLOWED_TARGETS; on the local "
        f"stack, while it runs: make webhook-target TARGET={target}, or POST /_local/webhook-targets)"
    )


def _normalise_allowed(allowed: Iterable[tuple[str, int]]) -> frozenset[tuple[str, int]]:
    """(ip, port) pairs with the ip in ipaddress's canonical text, as vet() compares them."""
    return frozenset((str(ipaddress.ip_address(ip)), int(port)) for ip, port in allowed)


def _https_only_from_env() -> bool:
    """Env WEBHOOK_HTTPS_ONLY: on unless it is "false" or "0"."""
    return os.environ.get("WEBHOOK_HTTPS_ONLY", "").strip().lower() not in ("false", "0")
