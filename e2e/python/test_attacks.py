"""Black-box attacks from the OAuth 2.0 Security BCP (RFC 9700) against a running tessera.

Each test plays the attacker with plain HTTP against the real server that e2e/start.sh started,
and checks that the attack gets a clear refusal and changes nothing.
"""
import base64
import hashlib
import html
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import pytest
import requests

from tessera_browser import BASE, EMAIL, PASSWORD, approve, hidden_fields

REDIRECT = os.environ["TESSERA_REDIRECT"]  # http://localhost:3001/auth/callback
CONFIDENTIAL = (os.environ["TESSERA_CLIENT_ID"], os.environ["TESSERA_CLIENT_SECRET"])
PUBLIC = os.environ["TESSERA_PUBLIC_CLIENT_ID"]
AUTHORIZE = f"{BASE}/v3/oauth2/authorize"
TOKEN = f"{BASE}/v3/oauth2/token"


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id, challenge, scope="v2legacy offline_access", redirect_uri=REDIRECT, **extra):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
              "state": secrets.token_urlsafe(8), "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(extra)
    return f"{AUTHORIZE}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def code_for(client_id, scope="v2legacy offline_access"):
    verifier, challenge = pkce()
    back = approve(authorize_url(client_id, challenge, scope))
    return parse_qs(urlparse(back).query)["code"][0], verifier


def redeem(code, verifier, client=CONFIDENTIAL, redirect_uri=REDIRECT):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    if isinstance(client, tuple):
        return requests.post(TOKEN, data=form, auth=client)
    return requests.post(TOKEN, data={**form, "client_id": client})


def refresh(token, client=CONFIDENTIAL):
    return requests.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": token}, auth=client)


def me_status(access):
    return requests.post(f"{BASE}/v3/graphql", json={"query": "{ me { profile { id } } }"},
                         headers={"Authorization": f"Bearer {access}"}).status_code


def signed_in_session():
    s = requests.Session()
    page = s.get(f"{BASE}/login")
    form = hidden_fields(page.text)
    form.update(email=EMAIL, password=PASSWORD)
    assert s.post(f"{BASE}/login", data=form, allow_redirects=False).status_code == 303
    return s


class PageUrls(HTMLParser):
    """Every URL in a page that a browser follows or loads: link, form and resource attributes,
    and a meta refresh."""

    ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "ping", "background"}

    def __init__(self, text):
        super().__init__()
        self.urls = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in self.ATTRIBUTES or (tag == "meta" and name == "content" and "url=" in value.lower())):
                self.urls.append(value)


def assert_not_reflected(r, uri):
    """An error page for an unregistered redirect URI sends the browser nowhere: no redirect, no
    link, form or resource off this server, and the URI not echoed unescaped into the page."""
    assert "Location" not in r.headers and "Refresh" not in r.headers, (uri, dict(r.headers))
    own = urlparse(BASE)[:2]
    for url in PageUrls(r.text).urls:
        assert urlparse(urljoin(r.url, url))[:2] == own and uri not in url, (uri, url)
    if html.escape(uri) != uri:  # otherwise an escaped echo (plain text) looks the same
        assert uri not in r.text, (uri, r.text)


# ---- redirect-URI manipulation: never a redirect to anything but the registered URI ----

MANIPULATED = [
    REDIRECT + "/evil",                                   # suffix (path extension)
    REDIRECT + "x",                                       # suffix on the last segment
    REDIRECT + "/../../evil",                             # path traversal
    "http://localhost:3001/auth/x/../callback",           # traversal that normalises to the registered path
    "http://localhost:3001@evil.example/auth/callback",   # userinfo: host is evil.example
    "http://evil.example@localhost:3001/auth/callback",   # userinfo added
    "http://localhost:3001/auth/%63allback",              # percent-encoded character
    "http://localhost:3001/auth/callback%2F..%2Fevil",    # encoded traversal
    "HTTP://LOCALHOST:3001/auth/callback",                # case of scheme and host
    "http://localhost:3001/Auth/Callback",                # case of path
    REDIRECT + "#fragment",                               # fragment
    REDIRECT + "?next=https://evil.example",              # extra query
    "http://localhost:3002/auth/callback",                # port
    "https://localhost:3001/auth/callback",               # scheme
    REDIRECT + "/",                                       # trailing slash
    "http://localhost:3001/auth/callback%00.evil.example",  # NUL
    "http://127.0.0.1:3001/auth/callback",                # loopback by another name
    "//evil.example/auth/callback",                       # scheme-relative
    "https://evil.example/auth/callback",                 # another origin
    REDIRECT + '?"><a href="https://evil.example/">x</a>',  # markup, if echoed unescaped
]


@pytest.mark.parametrize("uri", MANIPULATED)
def test_manipulated_redirect_uris_get_an_error_page_never_a_redirect(uri):
    for client_id in (CONFIDENTIAL[0], PUBLIC):
        _, challenge = pkce()
        r = requests.get(authorize_url(client_id, challenge, redirect_uri=uri), allow_redirects=False)
        assert r.status_code == 400, (uri, r.status_code)
        assert_not_reflected(r, uri)


def test_errors_never_open_redirect_for_unknown_clients_or_bad_requests():
    _, challenge = pkce()
    cases = [
        authorize_url("app_unknown", challenge, redirect_uri="https://evil.example/cb"),
        authorize_url(CONFIDENTIAL[0], challenge, redirect_uri="https://evil.example/cb", response_type="token"),
        authorize_url(CONFIDENTIAL[0], None, redirect_uri="https://evil.example/cb", code_challenge_method=None),
    ]
    for url in cases:
        r = requests.get(url, allow_redirects=False)
        assert r.status_code == 400, url
        assert_not_reflected(r, "https://evil.example/cb")
    # With the registered URI, protocol errors go back to the client (RFC 6749 §4.1.2.1),
    # never anywhere else, and carry the issuer (mix-up defence).
    r = requests.get(authorize_url(CONFIDENTIAL[0], challenge, response_type="token"), allow_redirects=False)
    assert r.status_code in (302, 303)
    loc = urlparse(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = parse_qs(loc.query)
    assert q["error"] == ["unsupported_response_type"] and q["iss"] == [BASE]


# ---- codes: injection, replay, PKCE downgrade, parallel redemption ----

def test_a_replayed_code_fails_and_revokes_what_it_issued():
    code, verifier = code_for(CONFIDENTIAL[0])
    first = redeem(code, verifier)
    assert first.status_code == 200
    again = redeem(code, verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert me_status(first.json()["access_token"]) == 401
    assert refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_injected_code_fails_for_another_client_verifier_or_redirect():
    code, verifier = code_for(PUBLIC, "elements:read")
    # The attacker's confidential client presents the victim's code.
    stolen = redeem(code, verifier, client=CONFIDENTIAL)
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    code, _ = code_for(PUBLIC, "elements:read")
    wrong = redeem(code, pkce()[0], client=PUBLIC)
    assert wrong.json()["error"] == "invalid_grant"
    code, verifier = code_for(PUBLIC, "elements:read")
    other = redeem(code, verifier, client=PUBLIC, redirect_uri="http://localhost:3001/other")
    assert other.json()["error"] == "invalid_grant"


def test_pkce_cannot_be_downgraded():
    # No challenge, or the `plain` method, is refused at the authorization endpoint: for the
    # public client, and for the confidential one, registered with the default (PKCE required).
    cases = [(client, extra) for client in (PUBLIC, CONFIDENTIAL[0])
             for extra in ({"code_challenge": None, "code_challenge_method": None}, {"code_challenge_method": "plain"})]
    for client, extra in cases:
        s = signed_in_session()
        _, challenge = pkce()
        r = s.get(authorize_url(client, challenge, "elements:read", **extra), allow_redirects=False)
        if r.status_code == 400:  # refused on the error page
            assert "Location" not in r.headers
            continue
        assert r.status_code in (302, 303), r.text
        q = parse_qs(urlparse(r.headers["Location"]).query)
        assert q["error"] == ["invalid_request"] and "code" not in q
    # A code issued with a challenge cannot be redeemed without its verifier.
    code, _ = code_for(PUBLIC, "elements:read")
    r = redeem(code, None, client=PUBLIC)
    assert r.json()["error"] == "invalid_grant"


def test_parallel_redemption_of_one_code_has_exactly_one_winner():
    code, verifier = code_for(CONFIDENTIAL[0])
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: redeem(code, verifier), range(12)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1 and statuses.count(400) == 11, statuses


def test_parallel_use_of_one_refresh_token_has_exactly_one_winner():
    code, verifier = code_for(CONFIDENTIAL[0])
    rt = redeem(code, verifier).json()["refresh_token"]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: refresh(rt), range(12)))
    winners = [r.json() for r in results if r.status_code == 200]
    assert len(winners) == 1, [r.status_code for r in results]
    assert all(r.json()["error"] == "invalid_grant" for r in results if r.status_code != 200)
    # Losers inside the grace window do not revoke the winner's family.
    assert me_status(winners[0]["access_token"]) == 200


# ---- refresh tokens: replay after rotation, cross-client use ----

def test_a_replayed_refresh_token_revokes_the_family_after_the_grace_window():
    code, verifier = code_for(CONFIDENTIAL[0])
    rt = redeem(code, verifier).json()["refresh_token"]
    new = refresh(rt).json()
    time.sleep(5.2)  # the default grace window is 5 s
    replay = refresh(rt)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert me_status(new["access_token"]) == 401
    assert refresh(new["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_refresh_token_is_useless_to_another_client():
    code, verifier = code_for(PUBLIC, "elements:read offline_access")
    rt = redeem(code, verifier, client=PUBLIC).json()["refresh_token"]
    r = refresh(rt, client=CONFIDENTIAL)
    assert r.json()["error"] == "invalid_grant"
    # …and the failed attempt did not spend it.
    r = requests.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": PUBLIC})
    assert r.status_code == 200, r.text


# ---- client authentication ----

def test_public_clients_cannot_be_impersonated_and_confidential_ones_need_their_secret():
    code, verifier = code_for(CONFIDENTIAL[0])
    # A confidential client presenting itself as public (no secret).
    r = redeem(code, verifier, client=CONFIDENTIAL[0])
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    # A wrong secret, in the header and in the body.
    r = redeem(code, verifier, client=(CONFIDENTIAL[0], CONFIDENTIAL[1] + "x"))
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    assert "WWW-Authenticate" in r.headers
    # The code was not spent by the failed attempts.
    assert redeem(code, verifier).status_code == 200
    # A public client cannot use client_credentials, with or without a made-up secret.
    for auth in ((PUBLIC, "made-up"), None):
        data = {"grant_type": "client_credentials"} if auth else {"grant_type": "client_credentials", "client_id": PUBLIC}
        r = requests.post(TOKEN, data=data, auth=auth)
        assert r.status_code in (400, 401) and r.json()["error"] in ("invalid_client", "unauthorized_client"), r.text


# ---- pages: CSRF, clickjacking, referrer leakage, mix-up ----

def test_login_and_consent_forms_refuse_cross_site_posts():
    # Login CSRF: a form posted without the page's token, or with another visitor's token.
    r = requests.post(f"{BASE}/login", data={"email": EMAIL, "password": PASSWORD}, allow_redirects=False)
    assert r.status_code == 403 and "session" not in r.headers.get("Set-Cookie", "")
    other = requests.Session()
    other.get(f"{BASE}/login")
    attacker_token = hidden_fields(requests.get(f"{BASE}/login").text)["csrf"]
    r = other.post(f"{BASE}/login", data={"csrf": attacker_token, "email": EMAIL, "password": PASSWORD},
                   allow_redirects=False)
    assert r.status_code == 403
    # Consent CSRF: the victim is signed in; the attacker's page posts "allow" with a forged token.
    victim = signed_in_session()
    _, challenge = pkce()
    page = victim.get(authorize_url(CONFIDENTIAL[0], challenge, scope="org:admin"), allow_redirects=False)
    form = hidden_fields(page.text)
    assert "csrf" in form, page.text
    forged = dict(form, csrf=attacker_token, decision="allow")
    r = victim.post(AUTHORIZE, data=forged, allow_redirects=False)
    assert r.status_code == 403 and "Location" not in r.headers
    without_cookie = requests.post(AUTHORIZE, data=dict(form, decision="allow"), allow_redirects=False)
    assert without_cookie.status_code in (401, 403)  # no session: signed out, or refused
    assert "code=" not in without_cookie.headers.get("Location", "")


def test_pages_refuse_framing_and_send_no_referrer():
    victim = signed_in_session()
    _, challenge = pkce()
    pages = [
        requests.get(f"{BASE}/login"),
        victim.get(authorize_url(CONFIDENTIAL[0], challenge, scope="org:admin"), allow_redirects=False),
        requests.get(authorize_url("app_unknown", challenge), allow_redirects=False),
    ]
    for r in pages:
        assert r.headers.get("X-Frame-Options") == "DENY", r.url
        assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", ""), r.url
        assert r.headers.get("Referrer-Policy") == "no-referrer", r.url


def test_the_authorization_response_names_its_issuer():
    meta = requests.get(f"{BASE}/.well-known/oauth-authorization-server").json()
    assert meta["authorization_response_iss_parameter_supported"] is True and meta["issuer"] == BASE
    _, challenge = pkce()
    back = approve(authorize_url(CONFIDENTIAL[0], challenge))
    assert parse_qs(urlparse(back).query)["iss"] == [BASE]
    # Tokens are never in the front channel.
    assert "access_token" not in back and "#" not in back
