"""Drive tessera's login and consent forms with requests, as a person in a browser would."""
import html
import os
import re
from urllib.parse import urljoin

import requests

BASE = os.environ["TESSERA_URL"]
EMAIL = os.environ["TESSERA_EMAIL"]
PASSWORD = os.environ["TESSERA_PASSWORD"]


def hidden_fields(page: str) -> dict:
    return {html.unescape(n): html.unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def approve(authorize_url: str, s: requests.Session | None = None) -> str:
    """Sign in and allow; return the redirect back to the client (with code, state, iss).
    Pass a session to keep its cookies, the sign-in among them, for later requests."""
    s = requests.Session() if s is None else s
    r = s.get(authorize_url, allow_redirects=False)
    assert r.status_code == 200 and 'name="password"' in r.text, r.text
    form = hidden_fields(r.text)
    form.update(email=EMAIL, password=PASSWORD)
    r = s.post(urljoin(BASE, "/login"), data=form, allow_redirects=False)
    assert r.status_code == 303, r.text
    r = s.get(urljoin(BASE, r.headers["Location"]), allow_redirects=False)
    if r.status_code == 200:  # consent page
        assert 'name="decision"' in r.text, r.text
        form = hidden_fields(r.text)
        form["decision"] = "allow"
        r = s.post(urljoin(BASE, "/v3/oauth2/authorize"), data=form, allow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["Location"]


def graphql(token: str, query: str, variables=None) -> dict:
    r = requests.post(urljoin(BASE, "/v3/graphql"), json={"query": query, "variables": variables or {}},
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def user_token(scope: str = "elements:read offline_access") -> dict:
    """An access token for the e2e user, through the public browser app's code flow."""
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session

    client = OAuth2Session(os.environ["TESSERA_PUBLIC_CLIENT_ID"], scope=scope, redirect_uri=os.environ["TESSERA_REDIRECT"],
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(f"{BASE}/v3/oauth2/authorize", code_verifier=verifier)
    return client.fetch_token(f"{BASE}/v3/oauth2/token", authorization_response=approve(url), code_verifier=verifier)


def bot_creates_text(text: str) -> str:
    """The bot writes through /v3/graphql, as a backend would; returns the element id."""
    out = graphql(os.environ["TESSERA_BOT_TOKEN"], "mutation($ws: String!, $t: String!) { createText(workspaceId: $ws, input: {text: $t}) { id } }",
                  {"ws": os.environ["TESSERA_WORKSPACE"], "t": text})
    return out["data"]["createText"]["id"]
