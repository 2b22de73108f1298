"""The authorization-code flow with PKCE from Python's authlib, against a running tessera."""
import os
import subprocess
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from tessera_browser import BASE, EMAIL, approve, graphql

REDIRECT = os.environ["TESSERA_REDIRECT"]
AUTHORIZE = f"{BASE}/v3/oauth2/authorize"
TOKEN = f"{BASE}/v3/oauth2/token"


def test_confidential_client_code_flow_refresh_and_graphql():
    client = OAuth2Session(os.environ["TESSERA_CLIENT_ID"], os.environ["TESSERA_CLIENT_SECRET"],
                           scope="v2legacy offline_access", redirect_uri=REDIRECT, code_challenge_method="S256")
    verifier = generate_token(48)
    url, state = client.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    back = approve(url)
    query = parse_qs(urlparse(back).query)
    assert query["state"] == [state]
    assert query["iss"] == [BASE]
    token = client.fetch_token(TOKEN, authorization_response=back, code_verifier=verifier)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert "refresh_token" in token
    me = graphql(token["access_token"], "{ me { profile { email } workspaces { results { id } } } }")
    assert me["data"]["me"]["profile"]["email"] == EMAIL
    assert me["data"]["me"]["workspaces"]["results"] == [{"id": os.environ["TESSERA_WORKSPACE"]}]
    fresh = client.refresh_token(TOKEN, refresh_token=token["refresh_token"])
    assert fresh["refresh_token"] != token["refresh_token"]
    assert graphql(fresh["access_token"], "{ me { profile { email } } }")["data"]["me"]["profile"]["email"] == EMAIL


def test_public_client_without_offline_access_gets_no_refresh_token():
    client = OAuth2Session(os.environ["TESSERA_PUBLIC_CLIENT_ID"], scope="elements:read", redirect_uri=REDIRECT,
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    token = client.fetch_token(TOKEN, authorization_response=approve(url), code_verifier=verifier)
    assert "refresh_token" not in token
    assert token["scope"] == "elements:read"
    elements = graphql(token["access_token"], "query($ws: String!) { elements(workspaceId: $ws) { id } }",
                       {"ws": os.environ["TESSERA_WORKSPACE"]})
    assert "errors" not in elements, elements


def test_metadata_validates_with_authlib():
    # RFC 8414 requires an https issuer; run a second instance that is told it is public at one.
    proc = subprocess.Popen([os.environ["TESSERA_BIN"], "serve", "--listen", "127.0.0.1:0",
                             "--issuer", "https://auth.example.test"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        base = line.strip().removeprefix("tessera listening on ")
        meta = requests.get(f"{base}/.well-known/oauth-authorization-server").json()
        AuthorizationServerMetadata(meta).validate()
        assert meta["issuer"] == "https://auth.example.test"
        assert meta["code_challenge_methods_supported"] == ["S256"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
