"""Read the messages that smtp_sink.py wrote to a folder."""
import email
import os
import re
import time
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses

_returned: set[str] = set()  # the files wait_for_mail returned already


def received(folder: str) -> list[tuple[str, EmailMessage]]:
    """Every message in the folder, oldest first, with its file name."""
    names = sorted((f for f in os.listdir(folder) if f.endswith(".eml") and not f.startswith(".")),
                   key=lambda f: int(f.split("-", 1)[0]))
    out = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            out.append((name, email.message_from_binary_file(f, policy=default)))
    return out


def recipients(msg: EmailMessage) -> set[str]:
    """The envelope's and the To/Cc headers' addresses, in lower case."""
    fields = [str(v) for h in ("X-Envelope-To", "To", "Cc") for v in msg.get_all(h, [])]
    return {addr.lower() for _, addr in getaddresses(fields) if addr}


def mail_to(folder: str, to: str) -> list[EmailMessage]:
    return [msg for _, msg in received(folder) if to.lower() in recipients(msg)]


def wait_for_mail(folder: str, to: str, subject_contains: str, timeout: float = 20) -> EmailMessage:
    """The newest message to `to` whose subject contains `subject_contains` that this function has
    not returned before; waits up to `timeout` seconds for one to arrive."""
    deadline = time.monotonic() + timeout
    while True:
        for name, msg in reversed(received(folder)):
            if name not in _returned and to.lower() in recipients(msg) and subject_contains in str(msg["Subject"] or ""):
                _returned.add(name)
                return msg
        if time.monotonic() > deadline:
            seen = [(str(m["To"]), str(m["Subject"])) for _, m in received(folder)]
            raise AssertionError(f"no mail to {to} with {subject_contains!r} in its subject after {timeout} s; "
                                 f"the folder has {seen}")
        time.sleep(0.1)


def link_in(msg: EmailMessage, path_prefix: str) -> str:
    """The first URL in the text/plain part that starts with TESSERA_URL + path_prefix."""
    start = os.environ["TESSERA_URL"] + path_prefix
    text = msg.get_body(preferencelist=("plain",)).get_content()
    for url in re.findall(r"https?://[^\s<>\"']+", text):
        url = url.rstrip(".,;:!?)]")
        if url.startswith(start):
            return url
    raise AssertionError(f"no link starting with {start} in the text part:\n{text}")
