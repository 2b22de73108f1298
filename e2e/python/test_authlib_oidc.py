"""OpenID Connect from Python's authlib against a running tessera: discovery, the code flow with
nonce and PKCE through OAuth2Session, the ID token verified with authlib.jose against the JWKS,
userinfo, and the refusals around them (tampered tokens, another nonce, logout without a hint).
"""
import base64
import hashlib
import json
import os
import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebToken
from authlib.jose.errors import BadSignatureError, InvalidClaimError, JoseError

from tessera_browser import BASE, EMAIL, approve, hidden_fields, user_token

REDIRECT = os.environ["TESSERA_REDIRECT"]
CLIENT_ID = os.environ["TESSERA_CLIENT_ID"]
CLIENT_SECRET = os.environ["TESSERA_CLIENT_SECRET"]
USER_ID = os.environ["TESSERA_USER_ID"]


@pytest.fixture(scope="module")
def metadata():
    r = requests.get(f"{BASE}/.well-known/openid-configuration")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def jwks(metadata):
    return requests.get(metadata["jwks_uri"]).json()


def openid_client(scope="openid profile email"):
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=scope, redirect_uri=REDIRECT, code_challenge_method="S256")


@pytest.fixture(scope="module")
def signed_in(metadata):
    """One sign-in for the module: authlib's client with its token, the nonce it sent, and the
    browser session (its cookie is the sign-in that logout ends)."""
    client, browser = openid_client(), requests.Session()
    verifier, nonce = generate_token(48), generate_token(20)
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    # fetch_token checks the state in the redirect against the one authlib generated.
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=approve(url, browser), code_verifier=verifier)
    return SimpleNamespace(client=client, token=token, nonce=nonce, browser=browser)


def verify(id_token, jwks, nonce, audience=CLIENT_ID):
    """What a relying party does with an ID token it keeps: RS256 only, the key by its kid from the
    JWKS, then iss, aud, exp, iat and nonce."""
    claims = JsonWebToken(["RS256"]).decode(id_token, jwks, claims_options={
        "iss": {"essential": True, "value": BASE},
        "aud": {"essential": True, "value": audience},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    })
    claims.validate()
    return claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def silent_authorize(browser, metadata):
    """prompt=none with this browser's cookies: the query the user comes back with."""
    client = openid_client("openid")
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=generate_token(48),
                                                 nonce=generate_token(20), prompt="none")
    r = browser.get(url, allow_redirects=False)
    assert r.status_code == 303, r.text
    back = parse_qs(urlparse(r.headers["Location"]).query)
    assert back["state"] == [state] and back["iss"] == [BASE], back
    return back


def test_discovery_document(metadata):
    assert metadata["issuer"] == BASE
    assert metadata["authorization_endpoint"] == f"{BASE}/v3/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{BASE}/v3/oauth2/token"
    assert metadata["userinfo_endpoint"] == f"{BASE}/v3/oauth2/userinfo"
    assert metadata["jwks_uri"] == f"{BASE}/v3/oauth2/jwks"
    assert metadata["end_session_endpoint"] == f"{BASE}/v3/oauth2/logout"
    assert {"openid", "profile", "email", "offline_access"} <= set(metadata["scopes_supported"])
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["subject_types_supported"] == ["public"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"sub", "name", "given_name", "family_name", "email", "email_verified"} <= set(metadata["claims_supported"])


def test_code_flow_id_token_verified_with_authlib_jose_and_userinfo(signed_in, jwks, metadata):
    token = signed_in.token
    assert "id_token" in token and "refresh_token" not in token
    header = json.loads(unb64(token["id_token"].split(".")[0]))
    assert header["alg"] == "RS256"
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]
    claims = verify(token["id_token"], jwks, signed_in.nonce)
    assert claims["sub"] == USER_ID
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= time.time()
    assert claims["acr"] == "1" and claims["amr"] == ["pwd"]
    # OIDC Core 3.1.3.6: the left half of the SHA-256 of the access token.
    assert claims["at_hash"] == b64(hashlib.sha256(token["access_token"].encode()).digest()[:16])
    assert claims["email"] == EMAIL and isinstance(claims["email_verified"], bool)
    assert (claims["name"], claims["given_name"], claims["family_name"]) == ("E2E User", "E2E", "User")

    # The session sends the access token as a bearer token; GET and POST both answer.
    for method in ("GET", "POST"):
        r = signed_in.client.request(method, metadata["userinfo_endpoint"])
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        info = r.json()
        assert info["sub"] == claims["sub"]
        assert (info["email"], info["email_verified"]) == (EMAIL, claims["email_verified"])
        assert (info["name"], info["given_name"], info["family_name"]) == ("E2E User", "E2E", "User")


def test_tampered_id_token_fails_verification(signed_in, jwks):
    head, payload, signature = signed_in.token["id_token"].split(".")
    sig = bytearray(unb64(signature))
    sig[len(sig) // 2] ^= 1
    with pytest.raises(BadSignatureError):
        verify(f"{head}.{payload}.{b64(bytes(sig))}", jwks, signed_in.nonce)
    # Someone else's sub under the original signature.
    other = json.loads(unb64(payload)) | {"sub": "usr_someone_else"}
    with pytest.raises(BadSignatureError):
        verify(f"{head}.{b64(json.dumps(other).encode())}.{signature}", jwks, signed_in.nonce)
    # And no signature at all: alg none is not among the algorithms the client accepts.
    none = b64(json.dumps(json.loads(unb64(head)) | {"alg": "none"}).encode())
    with pytest.raises(JoseError):
        verify(f"{none}.{payload}.", jwks, signed_in.nonce)


def test_id_token_for_another_nonce_or_client_fails_validation(signed_in, jwks):
    with pytest.raises(InvalidClaimError):
        verify(signed_in.token["id_token"], jwks, generate_token(20))
    with pytest.raises(InvalidClaimError):
        verify(signed_in.token["id_token"], jwks, signed_in.nonce, audience=os.environ["TESSERA_PUBLIC_CLIENT_ID"])


def test_userinfo_refuses_a_token_without_openid_and_a_bad_token(metadata):
    no_openid = user_token("elements:read")["access_token"]
    for method in ("GET", "POST"):
        r = requests.request(method, metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {no_openid}"})
        assert r.status_code == 403, r.text
        assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
        r = requests.request(method, metadata["userinfo_endpoint"], headers={"Authorization": "Bearer tsr_at_not_a_token"})
        assert r.status_code == 401, r.text
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_logout_to_an_unregistered_uri_is_refused_without_a_redirect(signed_in, metadata):
    for uri in ("https://attacker.example/signed-out", os.environ["TESSERA_POST_LOGOUT"].replace(":3001", ":3002")):
        r = signed_in.browser.get(metadata["end_session_endpoint"], allow_redirects=False, params={
            "id_token_hint": signed_in.token["id_token"], "post_logout_redirect_uri": uri, "state": "s1"})
        assert r.status_code == 400, r.text
        assert "Location" not in r.headers
        assert r.headers["Content-Type"].startswith("text/html")


def test_logout_without_a_hint_asks_first_and_needs_the_forms_csrf(metadata):
    browser, client = requests.Session(), openid_client("openid")
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=generate_token(48),
                                             nonce=generate_token(20))
    approve(url, browser)
    page = browser.get(metadata["end_session_endpoint"], allow_redirects=False)
    assert page.status_code == 200, page.text
    assert 'action="/v3/oauth2/logout"' in page.text
    assert re.search(r'name="decision"[^>]*value="logout"', page.text), page.text
    form = hidden_fields(page.text)
    assert form.get("csrf"), page.text
    # Asking is not logging out, and a forged form (another page's csrf) ends nothing either.
    assert "code" in silent_authorize(browser, metadata)
    r = browser.post(metadata["end_session_endpoint"], data={**form, "csrf": "forged", "decision": "logout"},
                     allow_redirects=False)
    assert 400 <= r.status_code < 500, r.text
    assert "code" in silent_authorize(browser, metadata)
    r = browser.post(metadata["end_session_endpoint"], data={**form, "decision": "logout"}, allow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert silent_authorize(browser, metadata)["error"] == ["login_required"]
