"""The flows that go through e-mail, end to end: the server sends real SMTP to the sink that
e2e/start.sh started (smtp_sink.py), and these tests read the messages from its folder and follow
their links as the person who received them would: a forgotten password reset by mail, and an
invitation to an organization accepted by mail.
"""
import html
import os
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from mailbox_dir import link_in, mail_to, wait_for_mail
from tessera_browser import BASE, EMAIL, PASSWORD

MAIL = os.environ["E2E_MAIL_DIR"]
ORG = os.environ["TESSERA_ORG"]
ADMIN = os.environ["TESSERA_ADMIN_EMAIL"]
CLIENT_ID = os.environ["TESSERA_CLIENT_ID"]
CLIENT_SECRET = os.environ["TESSERA_CLIENT_SECRET"]
REDIRECT = os.environ["TESSERA_REDIRECT"]
AUTHORIZE = f"{BASE}/v3/oauth2/authorize"
TOKEN = f"{BASE}/v3/oauth2/token"
RESET_SUBJECT = "Reset your tessera password"
INVITE_SUBJECT = "You are invited to join"
INVITATIONS = f"/portal/orgs/{ORG}/invitations"
CSRF_REFUSED = "This form was not sent from a page of this site"


# --- pages and forms ---------------------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    hidden: dict = field(default_factory=dict)  # name -> value
    inputs: dict = field(default_factory=dict)  # name -> type, of the visible inputs and textareas
    selects: dict = field(default_factory=dict)  # name -> [option values]


class Forms(HTMLParser):
    """Every form of a page, whatever the order of the attributes."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form = self.select = self.option = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type", "text").lower() == "hidden":
                self.form.hidden[a["name"]] = a.get("value", "")
            else:
                self.form.inputs[a["name"]] = a.get("type", "text").lower()
        elif tag == "textarea" and a.get("name"):
            self.form.inputs[a["name"]] = "textarea"
        elif tag == "select" and a.get("name"):
            self.select = self.form.selects.setdefault(a["name"], [])
        elif tag == "option" and self.select is not None:
            self.option = a.get("value")
            if self.option is not None:
                self.select.append(self.option)
            else:
                self.select.append("")  # the text is the value: filled in by handle_data
                self.option = ""

    def handle_data(self, data):
        if self.option == "" and self.select is not None and self.select and self.select[-1] == "":
            self.select[-1] = data.strip()

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = self.select = None
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None


def find_form(page: str, action: str) -> Form | None:
    """The POST form of the page whose action is this path (with or without the origin)."""
    for form in Forms(page).forms:
        if form.method == "post" and urljoin(BASE + "/", form.action) == BASE + action:
            return form
    return None


def the_form(r: requests.Response, action: str) -> Form:
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    form = find_form(r.text, action)
    assert form is not None, f"no form posting to {action} in:\n{r.text}"
    assert form.hidden.get("csrf"), r.text
    return form


def location(r: requests.Response) -> str:
    return urljoin(BASE + "/", r.headers.get("Location", ""))


def visible_answer(r: requests.Response, address: str) -> str:
    """A page as the one who asked sees it, less what is theirs alone: the hidden fields' values
    (a csrf token differs for every visitor) and the address they typed."""
    text = re.sub(r'<input[^>]*type="hidden"[^>]*>', lambda m: re.sub(r'value="[^"]*"', 'value=""', m[0]), r.text)
    for form in (address, html.escape(address), html.escape(address, quote=False)):
        text = text.replace(form, "ADDRESS")
    return text


# --- people ------------------------------------------------------------------------------------

def new_user(password: str, org: str | None = ORG) -> str:
    """A throwaway account made with the CLI (on the database the server runs on); its address."""
    address = f"mail-{secrets.token_hex(6)}@example.test"
    cmd = [os.environ["TESSERA_BIN"], "user", "create", "--email", address, "--password-stdin", "--json"]
    if org:
        cmd += ["--org", org, "--org-role", "user"]
    subprocess.run(cmd, input=password + "\n", text=True, check=True, capture_output=True)
    return address


def sign_in(address: str, password: str, s: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    """POST /login as the sign-in page does; the session keeps the cookie when it works."""
    s = requests.Session() if s is None else s
    form = the_form(s.get(f"{BASE}/login"), "/login")
    r = s.post(f"{BASE}/login", data={**form.hidden, "email": address, "password": password}, allow_redirects=False)
    return s, r


def signed_in(address: str, password: str) -> requests.Session:
    s, r = sign_in(address, password)
    assert r.status_code == 303, (r.status_code, r.text)
    return s


def can_sign_in(address: str, password: str) -> bool:
    _, r = sign_in(address, password)
    assert r.status_code in (303, 401), (r.status_code, r.text)
    return r.status_code == 303


# --- OAuth -------------------------------------------------------------------------------------

def confidential_client() -> OAuth2Session:
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope="v2legacy offline_access", redirect_uri=REDIRECT,
                         code_challenge_method="S256")


def approve_as(authorize_url: str, address: str, password: str, s: requests.Session) -> str:
    """tessera_browser.approve for another person: sign in, allow, return the redirect back."""
    r = s.get(authorize_url, allow_redirects=False)
    form = the_form(r, "/login")
    r = s.post(f"{BASE}/login", data={**form.hidden, "email": address, "password": password}, allow_redirects=False)
    assert r.status_code == 303, r.text
    r = s.get(location(r), allow_redirects=False)
    if r.status_code == 200:  # consent page
        form = the_form(r, "/v3/oauth2/authorize")
        r = s.post(AUTHORIZE, data={**form.hidden, "decision": "allow"}, allow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["Location"]


def silent_authorize(s: requests.Session) -> dict:
    """prompt=none with this browser's cookies: the query it is sent back to the client with."""
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
              "scope": "v2legacy offline_access", "state": secrets.token_urlsafe(8), "prompt": "none",
              "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
    r = s.get(f"{AUTHORIZE}?{urlencode(params)}", allow_redirects=False)
    assert r.status_code in (302, 303), (r.status_code, r.text)
    assert r.headers["Location"].startswith(REDIRECT), r.headers["Location"]
    return parse_qs(urlparse(r.headers["Location"]).query)


def refresh(refresh_token: str) -> requests.Response:
    return requests.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                         auth=(CLIENT_ID, CLIENT_SECRET))


# --- mail --------------------------------------------------------------------------------------

def ask_for_reset(address: str) -> requests.Response:
    s = requests.Session()
    form = the_form(s.get(f"{BASE}/password/forgot"), "/password/forgot")
    assert form.inputs.get("email") in ("email", "text"), form
    return s.post(f"{BASE}/password/forgot", data={"csrf": form.hidden["csrf"], "email": address},
                  allow_redirects=False)


def reset_link_for(address: str) -> str:
    r = ask_for_reset(address)
    assert r.status_code == 200, (r.status_code, r.text)
    return link_in(wait_for_mail(MAIL, address, RESET_SUBJECT), "/password/reset?token=")


@pytest.fixture(scope="module")
def admin() -> requests.Session:
    """The org admin's browser, signed in once for the module."""
    return signed_in(ADMIN, PASSWORD)


def invite(s: requests.Session, address: str, role: str = "user") -> requests.Response:
    """Send an invitation from the form on the portal page."""
    form = the_form(s.get(f"{BASE}/portal"), INVITATIONS)
    return s.post(BASE + INVITATIONS, data={"csrf": form.hidden["csrf"], "email": address, "role": role},
                  allow_redirects=False)


def outbox_flushed(admin: requests.Session):
    """Send an invitation and wait for its mail: what was queued before it has gone out too."""
    marker = f"marker-{secrets.token_hex(6)}@example.test"
    assert invite(admin, marker).status_code == 303
    wait_for_mail(MAIL, marker, INVITE_SUBJECT)


# --- forgotten password ------------------------------------------------------------------------

def test_forgot_password_answers_alike_for_any_address_and_mails_only_an_account():
    known = new_user("first password 123")
    unknown = f"nobody-{secrets.token_hex(6)}@example.test"
    # The unknown address first: a mail for it, if one were sent, would be out before the known one's.
    answers = {address: ask_for_reset(address) for address in (unknown, known)}
    assert answers[known].status_code == answers[unknown].status_code == 200, answers
    assert "If an account exists" in answers[known].text, answers[known].text
    assert visible_answer(answers[known], known) == visible_answer(answers[unknown], unknown)

    msg = wait_for_mail(MAIL, known, RESET_SUBJECT)
    assert str(msg["Subject"]) == RESET_SUBJECT
    assert [a.addr_spec for a in msg["To"].addresses] == [known]
    assert [a.addr_spec for a in msg["From"].addresses] == ["no-reply@example.test"]
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    text, page = msg.get_body(preferencelist=("plain",)), msg.get_body(preferencelist=("html",))
    assert text is not None and page is not None, msg.as_string()
    assert text.get_content_type() == "text/plain" and page.get_content_type() == "text/html"
    link = link_in(msg, "/password/reset?token=")
    assert parse_qs(urlparse(link).query)["token"][0], link
    assert mail_to(MAIL, unknown) == [], "a reset mail went to an address without an account"


def test_password_reset_by_mail_ends_old_sessions_and_refresh_tokens():
    old, new = "old password 123", "new password 456"
    address = new_user(old)
    # Before the reset: a browser signed in (and consented), and a refresh token the client keeps.
    browser, client, verifier = requests.Session(), confidential_client(), generate_token(48)
    url, _ = client.create_authorization_url(AUTHORIZE, code_verifier=verifier)
    token = client.fetch_token(TOKEN, authorization_response=approve_as(url, address, old, browser),
                               code_verifier=verifier)
    kept = refresh(token["refresh_token"])  # it works, and rotates: keep the newest
    assert kept.status_code == 200, kept.text
    kept = kept.json()["refresh_token"]
    assert "code" in silent_authorize(browser), "the browser is not signed in before the reset"

    link = reset_link_for(address)
    s = requests.Session()
    form = the_form(s.get(link), "/password/reset")
    assert form.hidden.get("token"), form
    assert form.inputs.get("password") == "password", form
    r = s.post(f"{BASE}/password/reset", data={"csrf": form.hidden["csrf"], "token": form.hidden["token"],
                                               "password": new}, allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text)
    assert "password has been changed" in r.text, r.text

    # Everything that the old password had opened is closed.
    r = refresh(kept)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (r.status_code, r.text)
    assert silent_authorize(browser).get("error") == ["login_required"]
    assert can_sign_in(address, new)
    assert not can_sign_in(address, old)

    # The link worked once: neither the page nor its form answers again, and the password stays.
    r = requests.get(link, allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)
    r = s.post(f"{BASE}/password/reset", data={"csrf": form.hidden["csrf"], "token": form.hidden["token"],
                                               "password": "third password 789"}, allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)
    assert not can_sign_in(address, "third password 789")
    assert can_sign_in(address, new)
    r = requests.get(f"{BASE}/password/reset?token=not-a-token", allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)


# --- invitations -------------------------------------------------------------------------------

def test_org_admin_invites_by_mail_and_the_invitee_joins_signed_in(admin):
    form = the_form(admin.get(f"{BASE}/portal"), INVITATIONS)
    assert form.inputs.get("email") in ("email", "text"), form
    assert sorted(form.selects.get("role", [])) == ["admin", "guest", "user"], form
    address, password = f"invitee-{secrets.token_hex(6)}@example.test", "invited password 123"
    r = admin.post(BASE + INVITATIONS, data={"csrf": form.hidden["csrf"], "email": address, "role": "user"},
                   allow_redirects=False)
    assert r.status_code == 303 and location(r) == f"{BASE}/portal", (r.status_code, r.headers, r.text)

    msg = wait_for_mail(MAIL, address, INVITE_SUBJECT)
    assert [a.addr_spec for a in msg["To"].addresses] == [address]
    link = link_in(msg, "/invitations/accept?token=")

    invitee = requests.Session()  # another browser: the invitee's
    page = invitee.get(link)
    form = the_form(page, "/invitations/accept")
    assert form.hidden.get("token"), form
    assert {"first_name", "last_name", "password"} <= set(form.inputs), form
    assert form.inputs["password"] == "password", form
    accept = {"csrf": form.hidden["csrf"], "token": form.hidden["token"], "first_name": "Ivy",
              "last_name": "Invitee", "password": password}
    r = invitee.post(f"{BASE}/invitations/accept", data=accept, allow_redirects=False)
    assert r.status_code == 303 and location(r) == f"{BASE}/portal", (r.status_code, r.headers, r.text)
    assert "tessera_session" in r.headers.get("Set-Cookie", ""), r.headers
    r = invitee.get(f"{BASE}/portal", allow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.text)
    assert address in r.text
    assert find_form(r.text, INVITATIONS) is None, "invited as a user, shown an org admin's form"

    # A new account with that password, and a link that worked once.
    assert can_sign_in(address, password)
    r = requests.get(link, allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)
    r = invitee.post(f"{BASE}/invitations/accept", data={**accept, "password": "another password 456"},
                     allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)
    assert not can_sign_in(address, "another password 456")
    r = requests.get(f"{BASE}/invitations/accept?token=not-a-token", allow_redirects=False)
    assert r.status_code == 400, (r.status_code, r.text)


def test_a_plain_member_cannot_invite_and_no_mail_is_sent(admin):
    member = signed_in(EMAIL, PASSWORD)  # org role user
    page = member.get(f"{BASE}/portal")
    assert page.status_code == 200, page.text
    assert find_form(page.text, INVITATIONS) is None, "a plain member is shown the invitation form"
    csrf = the_form(page, "/logout").hidden["csrf"]  # the session's own token: the form is not forged
    refused = f"refused-{secrets.token_hex(6)}@example.test"
    for role in ("user", "admin"):
        r = member.post(BASE + INVITATIONS, data={"csrf": csrf, "email": refused, "role": role}, allow_redirects=False)
        assert r.status_code == 403, (r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("text/html"), r.headers
        assert CSRF_REFUSED not in r.text, "refused for its csrf, not for who sent it"
    outbox_flushed(admin)
    assert mail_to(MAIL, refused) == [], "a refused invitation was mailed"


def test_inviting_an_address_with_an_account_answers_like_a_new_address(admin):
    outsider = new_user("outsider password 123", org=None)  # an account, not in the org
    answers = []
    for address in (f"fresh-{secrets.token_hex(6)}@example.test", EMAIL, outsider):
        r = invite(admin, address)
        answers.append((r.status_code, location(r)))
    assert answers == [(303, f"{BASE}/portal")] * 3, answers
