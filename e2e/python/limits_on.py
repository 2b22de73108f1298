"""Show that the server under test has its abuse limits on (e2e/start.sh with E2E_RATE_LIMITS=on):
sign-in attempts for one account are answered until TESSERA_LOGIN_ATTEMPTS_PER_15MIN is used up,
and the next is refused with 429. Not a pytest module: .ci/run runs it after the suites, so that
a run meant to have the limits on cannot pass with them off.
"""
import os

import requests

from tessera_browser import BASE, hidden_fields

budget = int(os.environ["TESSERA_LOGIN_ATTEMPTS_PER_15MIN"])
account = "limits-probe@example.test"  # no such user: the suites' own account keeps its budget
session = requests.Session()
form = hidden_fields(session.get(f"{BASE}/login").text)
statuses = []
for _ in range(budget + 1):
    r = session.post(f"{BASE}/login", data={**form, "email": account, "password": "wrong"}, allow_redirects=False)
    statuses.append(r.status_code)
    if r.status_code != 401:
        break
print(f"limits on: {len(statuses) - 1} wrong sign-ins answered 401, then {statuses[-1]} (budget {budget})")
assert statuses == [401] * budget + [429], statuses
