"""The SSRF guard: pure unit tests, no network (a fake resolver answers from a table)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from lms.webhooks.guard import Refused, Target, allowed_targets, check_syntax, forbidden, vet

GATEWAY_PORT = 3001

# host -> the resolver's answers; a host missing here does not resolve.
DNS = {
    "example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:4700::1111"],
    "two.example.com": ["93.184.216.34", "93.184.216.35"],
    "internal.example.com": ["10.0.0.5"],
    "round-robin.example.com": ["93.184.216.34", "10.0.0.5"],
    "localhost": ["127.0.0.1"],
    "metadata.google.internal": ["169.254.169.254"],
    "gateway.local.test": ["127.0.0.1"],
    "empty.example.com": [],
    "garbage.example.com": ["not-an-ip"],
    "scoped.example.com": ["fe80::1%eth0"],
    "xn--bcher-kva.example": ["93.184.216.34"],
}


class FakeResolver:
    """resolve(host, port) from a table, recording every call."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.table[host])


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("WEBHOOK_ALLOWED_TARGETS", raising=False)
    monkeypatch.delenv("WEBHOOK_HTTPS_ONLY", raising=False)


def _vet(url: str, **options) -> Target:
    """vet() with the fake resolver, nothing allowed and https only, unless `options` say else."""
    options.setdefault("resolve", FakeResolver(DNS))
    options.setdefault("allowed", frozenset())
    options.setdefault("https_only", True)
    return vet(url, **options)


ALLOW_GATEWAY = {"allowed": frozenset({("127.0.0.1", GATEWAY_PORT)})}

REFUSED = [
    # (id, url, reason substring, vet options)
    ("metadata-http", "http://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254", {}),
    ("metadata-https", "https://169.254.169.254/latest/meta-data/", "cloud metadata address 169.254.169.254", {}),
    ("metadata-ecs", "https://169.254.170.2/v2/credentials", "cloud metadata address 169.254.170.2", {}),
    ("metadata-alibaba", "https://100.100.100.200/", "cloud metadata address 100.100.100.200", {}),
    ("metadata-aws-v6", "https://[fd00:ec2::254]/", "cloud metadata address fd00:ec2::254", {}),
    (
        "metadata-by-name",
        "https://metadata.google.internal/computeMetadata/v1/",
        "cloud metadata address 169.254.169.254",
        {},
    ),
    ("v4-mapped-loopback", "https://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1", {}),
    ("v4-mapped-metadata", "https://[::ffff:169.254.169.254]/", "cloud metadata address 169.254.169.254", {}),
    ("v4-mapped-metadata-hex", "https://[::ffff:a9fe:a9fe]/", "cloud metadata address 169.254.169.254", {}),
    ("v4-compatible-loopback", "https://[::127.0.0.1]/", "loopback address 127.0.0.1", {}),
    ("6to4-loopback", "https://[2002:7f00:1::]/", "loopback address 127.0.0.1", {}),
    ("nat64-metadata", "https://[64:ff9b::a9fe:a9fe]/", "cloud metadata address 169.254.169.254", {}),
    ("nat64-local-private", "https://[64:ff9b:1::a00:1]/", "private address 10.0.0.1", {}),
    ("teredo-server-loopback", "https://[2001:0:7f00:1::f7f7:f7f7]/", "loopback address 127.0.0.1", {}),
    ("teredo-client-private", "https://[2001:0:808:808::f5ff:fffe]/", "private address 10.0.0.1", {}),
    ("hex-short", "https://0x7f.1/", "loopback address 127.0.0.1", {}),
    ("decimal", "https://2130706433/", "loopback address 127.0.0.1", {}),
    ("octal-whole", "https://017700000001/", "loopback address 127.0.0.1", {}),
    ("octal-dotted", "https://0177.0.0.1/", "loopback address 127.0.0.1", {}),
    ("short-dotted", "https://127.1/", "loopback address 127.0.0.1", {}),
    ("trailing-dot", "https://127.0.0.1./", "loopback address 127.0.0.1", {}),
    ("fullwidth-digits", "https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback address 127.0.0.1", {}),
    ("loopback", "https://127.0.0.1/", "loopback address 127.0.0.1", {}),
    ("localhost", "https://localhost/", "loopback address 127.0.0.1", {}),
    ("loopback-v6", "https://[::1]/", "loopback address ::1", {}),
    ("unspecified", "https://0.0.0.0/", "unspecified address 0.0.0.0", {}),
    ("unspecified-v6", "https://[::]/", "unspecified address ::", {}),
    ("this-network", "https://0.1.2.3/", "'this network' address 0.1.2.3", {}),
    ("private-10-by-name", "https://internal.example.com/", "private address 10.0.0.5", {}),
    ("private-172", "https://172.16.0.1/", "private address 172.16.0.1", {}),
    ("private-192", "https://192.168.1.1/", "private address 192.168.1.1", {}),
    ("shared-cgnat", "https://100.64.0.1/", "shared address space", {}),
    ("multicast", "https://224.0.0.1/", "multicast address 224.0.0.1", {}),
    ("multicast-v6", "https://[ff02::1]/", "multicast address ff02::1", {}),
    ("broadcast", "https://255.255.255.255/", "broadcast address 255.255.255.255", {}),
    ("reserved", "https://240.0.0.1/", "reserved address 240.0.0.1", {}),
    ("benchmarking", "https://198.18.0.1/", "benchmarking address 198.18.0.1", {}),
    ("documentation", "https://192.0.2.10/", "documentation address 192.0.2.10", {}),
    ("documentation-v6", "https://[2001:db8::1]/", "documentation address 2001:db8::1", {}),
    ("link-local-v6", "https://[fe80::1]/", "link-local address fe80::1", {}),
    ("ula-v6", "https://[fc00::1]/", "private (unique local) address fc00::1", {}),
    ("round-robin-public-private", "https://round-robin.example.com/", "private address 10.0.0.5", {}),
    ("scoped-answer", "https://scoped.example.com/", "scoped address fe80::1%eth0", {}),
    ("does-not-resolve", "https://nowhere.example.com/", "cannot resolve nowhere.example.com", {}),
    ("resolves-to-nothing", "https://empty.example.com/", "cannot resolve empty.example.com", {}),
    ("resolves-to-garbage", "https://garbage.example.com/", "invalid address 'not-an-ip'", {}),
    ("scheme-ftp", "ftp://example.com/", "scheme 'ftp' is not allowed", {}),
    ("scheme-file", "file:///etc/passwd", "scheme 'file' is not allowed", {}),
    ("no-host", "https:///path", "URL has no host", {}),
    ("userinfo", "https://user:pw@example.com/", "credentials", {}),
    ("backslash-userinfo", "https://example.com\\@127.0.0.1/", "credentials", {}),
    ("http-with-https-only", "http://example.com/", "plain http is not allowed", {}),
    ("percent-encoded-host", "https://exa%6dple.com/", "percent-encoded host", {}),
    ("percent-encoded-ip", "https://%31%32%37.0.0.1/", "percent-encoded host", {}),
    ("zone-id", "https://[fe80::1%25eth0]/", "zone ids are not allowed", {}),
    ("unbracketed-v6", "https://::1/", "must be written in brackets", {}),
    ("unclosed-bracket", "https://[::1/", "malformed URL", {}),
    ("port-too-big", "https://example.com:99999/", "port 99999 is out of range", {}),
    ("port-zero", "https://example.com:0/", "port 0 is out of range", {}),
    ("port-malformed", "https://example.com:8a/", "malformed port '8a'", {}),
    ("port-empty", "https://example.com:/", "malformed port ''", {}),
    ("too-long", "https://example.com/" + "a" * 2030, "URL too long", {}),
    ("crlf", "https://example.com/x\r\nHost: 127.0.0.1", "whitespace or control characters", {}),
    ("space-in-host", "https://exa mple.com/", "whitespace or control characters", {}),
    ("nul", "https://example.com\x00.evil/", "whitespace or control characters", {}),
    ("zero-width", "https://exa\u200bmple.com/", "whitespace or control characters", {}),
    ("idna-failure", "https://" + "\u00fc" * 64 + ".example/", "not a valid international", {}),
    ("malformed-numeric", "https://1.2.3.4.5/", "malformed numeric host", {}),
    ("bad-host-chars", "https://exa$mple.com/", "invalid host name", {}),
    ("allowed-ip-other-port", "http://127.0.0.1:9000/", "loopback address 127.0.0.1", ALLOW_GATEWAY),
]


@pytest.mark.parametrize(
    ("url", "reason", "options"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_refused(url, reason, options):
    with pytest.raises(Refused) as refused:
        _vet(url, **options)
    assert reason in str(refused.value)


PASSED = [
    # (id, url, vet options, expected Target)
    (
        "name",
        "https://example.com/hook?x=1",
        {},
        Target("https", "example.com", 443, "93.184.216.34", "/hook?x=1", "example.com"),
    ),
    (
        "public-v6-answer",
        "https://v6.example.com/",
        {},
        Target("https", "v6.example.com", 443, "2606:4700::1111", "/", "v6.example.com"),
    ),
    (
        "ip-literal-with-port",
        "https://8.8.8.8:8443/a",
        {},
        Target("https", "8.8.8.8", 8443, "8.8.8.8", "/a", "8.8.8.8:8443"),
    ),
    (
        "v6-literal-with-port",
        "https://[2606:4700::1111]:8443/x?y#frag",
        {},
        Target("https", "2606:4700::1111", 8443, "2606:4700::1111", "/x?y", "[2606:4700::1111]:8443"),
    ),
    (
        "allowed-gateway",
        f"http://127.0.0.1:{GATEWAY_PORT}/customers/cus_1",
        ALLOW_GATEWAY,
        Target("http", "127.0.0.1", GATEWAY_PORT, "127.0.0.1", "/customers/cus_1", f"127.0.0.1:{GATEWAY_PORT}"),
    ),
    (
        "name-to-allowed-gateway",
        f"http://gateway.local.test:{GATEWAY_PORT}/x",
        ALLOW_GATEWAY,
        Target("http", "gateway.local.test", GATEWAY_PORT, "127.0.0.1", "/x", f"gateway.local.test:{GATEWAY_PORT}"),
    ),
    (
        "http-when-allowed",
        "http://example.com/",
        {"https_only": False},
        Target("http", "example.com", 80, "93.184.216.34", "/", "example.com"),
    ),
    (
        "case-default-port-fragment",
        "HTTPS://Example.COM:443/a#frag",
        {},
        Target("https", "example.com", 443, "93.184.216.34", "/a", "example.com"),
    ),
    (
        "unicode-host",
        "https://b\u00fccher.example/",
        {},
        Target("https", "xn--bcher-kva.example", 443, "93.184.216.34", "/", "xn--bcher-kva.example"),
    ),
    (
        "nat64-public",
        "https://[64:ff9b::808:808]/",
        {},
        Target("https", "64:ff9b::808:808", 443, "64:ff9b::808:808", "/", "[64:ff9b::808:808]"),
    ),
    (
        "template-chars-in-path",
        "https://example.com/c/[[v('x')]]?q=(1)",
        {},
        Target("https", "example.com", 443, "93.184.216.34", "/c/[[v('x')]]?q=(1)", "example.com"),
    ),
]


@pytest.mark.parametrize(
    ("url", "options", "expected"), [case[1:] for case in PASSED], ids=[case[0] for case in PASSED]
)
def test_passed(url, options, expected):
    assert _vet(url, **options) == expected


def test_resolves_once_and_connects_to_a_resolved_address():
    resolve = FakeResolver(DNS)
    target = _vet("https://two.example.com:8443/x", resolve=resolve)
    assert resolve.calls == [("two.example.com", 8443)]
    assert target.address == "93.184.216.34"
    assert target.address in DNS["two.example.com"]


def test_rebinding_resolver_is_asked_once():
    """A name that answers public first and private next: vet() asks once and returns the address
    it checked, so the client never looks the name up again."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return next(answers)

    assert _vet("https://rebind.example.com/", resolve=rebinding).address == "93.184.216.34"
    assert calls == ["rebind.example.com"]
    with pytest.raises(Refused, match="loopback address 127.0.0.1"):
        _vet("https://rebind.example.com/", resolve=rebinding)


def test_ip_literal_is_not_resolved():
    resolve = FakeResolver({})
    assert _vet("https://8.8.8.8/", resolve=resolve).address == "8.8.8.8"
    assert _vet("https://0x08080808/", resolve=resolve).address == "8.8.8.8"
    assert resolve.calls == []


def test_resolver_gets_the_idna_host():
    resolve = FakeResolver(DNS)
    _vet("https://B\u00fccher.example/", resolve=resolve)
    assert resolve.calls == [("xn--bcher-kva.example", 443)]


def test_allowed_targets_from_env(monkeypatch):
    assert allowed_targets() == frozenset()
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", "")
    assert allowed_targets() == frozenset()
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", " 127.0.0.1:8080, [::1]:9000,,[0:0::1]:9001 ")
    assert allowed_targets() == frozenset({("127.0.0.1", 8080), ("::1", 9000), ("::1", 9001)})


@pytest.mark.parametrize(
    "entry", ["127.0.0.1", "localhost:80", "::1:9000", "127.0.0.1:0", "127.0.0.1:x", "[127.0.0.1]:80"]
)
def test_allowed_targets_rejects_bad_entries(monkeypatch, entry):
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", f"127.0.0.1:8080,{entry}")
    with pytest.raises(ValueError, match="WEBHOOK_ALLOWED_TARGETS: bad entry"):
        allowed_targets()


def test_vet_defaults_come_from_env(monkeypatch):
    resolve = FakeResolver(DNS)
    with pytest.raises(Refused, match="loopback address ::1"):
        vet("http://[::1]:9000/x", resolve=resolve)
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", "127.0.0.1:8080,[::1]:9000")
    assert vet("http://[::1]:9000/x", resolve=resolve).address == "::1"
    with pytest.raises(Refused, match="plain http is not allowed"):
        vet("http://example.com/", resolve=resolve)
    for off in ("false", "0", "FALSE"):
        monkeypatch.setenv("WEBHOOK_HTTPS_ONLY", off)
        assert vet("http://example.com/", resolve=resolve).scheme == "http"
    monkeypatch.setenv("WEBHOOK_HTTPS_ONLY", "true")
    with pytest.raises(Refused, match="plain http is not allowed"):
        vet("http://example.com/", resolve=resolve)


def test_explicit_allowed_pairs_are_normalised():
    target = _vet("http://[::1]:9000/", allowed=frozenset({("0:0::1", 9000)}))
    assert target.address == "::1"


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_forbidden_allows_public(address):
    assert forbidden(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.2", "loopback address 127.0.0.2"),
        ("169.254.169.254", "cloud metadata address 169.254.169.254"),
        ("169.254.1.1", "link-local address 169.254.1.1"),
        ("203.0.113.9", "documentation address 203.0.113.9"),
        ("::ffff:10.1.2.3", "private address 10.1.2.3 (embedded in IPv4-mapped address ::ffff:a01:203)"),
        ("2001:4:112::1", "IETF protocol assignment address 2001:4:112::1"),
        ("fec0::1", "site-local address fec0::1"),
    ],
)
def test_forbidden_reasons(address, reason):
    assert forbidden(ipaddress.ip_address(address)) == reason


@pytest.fixture
def no_dns(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("check_syntax must not resolve names")

    monkeypatch.setattr(socket, "getaddrinfo", fail)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/customers/[[v('customer.primary.id')]]",
        'https://api.example.com/hook?id=[[v("loan.id")]]&x=(1)',
        "https://8.8.8.8/hook",
    ],
    ids=["template-path", "template-query", "public-ip"],
)
def test_check_syntax_accepts(no_dns, url):
    check_syntax(url)  # raises when it refuses the URL


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://10.0.0.1/x", "private address 10.0.0.1"),
        ("https://0x7f.1/", "loopback address 127.0.0.1"),
        ("https://[::ffff:169.254.169.254]/", "cloud metadata address 169.254.169.254"),
        ("ftp://x/", "scheme 'ftp' is not allowed"),
        ("https://u@api.example.com/[[v('x')]]", "credentials"),
        ("https://api.example.com:70000/[[v('x')]]", "port 70000 is out of range"),
        ("https://api.example.com/[[ v('x') ]]", "whitespace"),
        ("http://8.8.8.8/", "plain http is not allowed"),
        ("http://example.com/", "plain http is not allowed"),  # allowed targets are IP:port pairs only
    ],
    ids=["private-ip", "hex-loopback", "mapped-metadata", "ftp", "userinfo", "port", "space", "http-ip", "http-name"],
)
def test_check_syntax_refuses(no_dns, url, reason):
    with pytest.raises(Refused) as refused:
        check_syntax(url)
    assert reason in str(refused.value)


def test_check_syntax_uses_env_allow_list_and_https_rule(no_dns, monkeypatch):
    url = f"http://127.0.0.1:{GATEWAY_PORT}/customers/[[v('customer.primary.id')]]"
    with pytest.raises(Refused, match="loopback address 127.0.0.1"):
        check_syntax(url)
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", f"127.0.0.1:{GATEWAY_PORT}")
    check_syntax(url)
    monkeypatch.setenv("WEBHOOK_HTTPS_ONLY", "false")
    check_syntax("http://8.8.8.8/")


@pytest.mark.parametrize("address", ["169.254.169.254", "[fd00:ec2::254]"])
def test_no_allowed_target_opens_a_metadata_address(monkeypatch, address):
    """WEBHOOK_ALLOWED_TARGETS (the stack's WebhookAllowedTargets) opens private addresses, never a cloud
    metadata address: credentials live there."""
    monkeypatch.setenv("WEBHOOK_ALLOWED_TARGETS", f"{address}:80")
    with pytest.raises(Refused, match="cloud metadata address"):
        vet(f"http://{address}:80/latest/meta-data/", resolve=FakeResolver(DNS))
