"""The URL normal form, as a literal table written from the rules (not from the code's output)."""

from __future__ import annotations

import hashlib

import pytest

from mediamanager.urlnorm import normalise_url, url_hash

# (as written, normal form): each row exercises one rule from the issue.
TABLE = [
    ("http://example.com/a", "http://example.com/a"),
    ("HTTP://EXAMPLE.COM/a", "http://example.com/a"),  # scheme and host lower-cased
    ("http://example.com/A", "http://example.com/A"),  # the path keeps its case
    ("https://example.com/a", "http://example.com/a"),  # http and https alike
    ("http://www.example.com/a", "http://example.com/a"),  # www. dropped
    ("http://WWW.Example.com/a", "http://example.com/a"),
    ("http://wwwexample.com/a", "http://wwwexample.com/a"),  # only the label "www." goes
    ("http://example.com:80/a", "http://example.com/a"),  # default ports dropped
    ("https://example.com:443/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),  # others kept
    ("http://example.com/a/", "http://example.com/a"),  # trailing slash dropped
    ("http://example.com/a//", "http://example.com/a"),
    ("http://example.com/", "http://example.com/"),  # except the root
    ("http://example.com", "http://example.com/"),
    ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),  # query sorted
    ("http://example.com/a?a=2&a=1", "http://example.com/a?a=1&a=2"),
    ("http://example.com/a?b=&a", "http://example.com/a?a=&b="),
    ("http://example.com/a#frag", "http://example.com/a"),  # fragment dropped
    ("http://example.com/a?x=1#frag", "http://example.com/a?x=1"),
    ("http://example.com/%7Euser", "http://example.com/~user"),  # needless escape decoded
    ("http://example.com/%41%62c", "http://example.com/Abc"),
    ("http://example.com/a%2fb", "http://example.com/a%2Fb"),  # reserved escape kept, upper-cased
    ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
    ("http://example.com/café", "http://example.com/caf%C3%A9"),  # raw Unicode escaped as UTF-8
    ("http://example.com/a b".replace(" ", "%20"), "http://example.com/a%20b"),
    ("http://example.com/s?q=a+b", "http://example.com/s?q=a%20b"),  # form '+' is a space
    ("http://example.com/s?q=a%20b", "http://example.com/s?q=a%20b"),
    ("http://bücher.de/x", "http://xn--bcher-kva.de/x"),  # IDNA host
    ("http://XN--BCHER-KVA.de/x", "http://xn--bcher-kva.de/x"),
    ("http://www.bücher.de/", "http://xn--bcher-kva.de/"),
    ("http://example.com./a", "http://example.com/a"),  # trailing dot of a FQDN
    ("http://user:pw@example.com/a", "http://example.com/a"),  # credentials are not the page
    ("http://[::1]:80/a", "http://[::1]/a"),
    ("  http://example.com/a  ", "http://example.com/a"),  # surrounding blanks
]


@pytest.mark.parametrize(("raw", "normal"), TABLE)
def test_normal_form(raw: str, normal: str) -> None:
    assert normalise_url(raw) == normal


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "example.com/a",  # relative
        "ftp://example.com/a",
        "mailto:a@example.com",
        "http:///a",  # no host
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://example.com:99999/",
        "http://example.com/" + "a" * 2048,
    ],
)
def test_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_url(bad)


def test_hash_is_sha256_of_the_normal_form() -> None:
    expected = hashlib.sha256(b"http://example.com/a?a=1&b=2").hexdigest()
    assert url_hash("HTTPS://www.example.com:443/a/?b=2&a=1#x") == expected
