-- Account e-mails: a durable outbox (nothing is lost while the mail server is down) and the
-- single-use links they carry (invitations, password resets, address verification).
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,        -- due from here; a sender claims it by moving this on
    sent_at         BIGINT,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE account_links (
    hash       TEXT PRIMARY KEY,             -- SHA-256 of the link's token; the token is never stored
    purpose    TEXT NOT NULL,                -- 'invite' | 'reset' | 'verify'
    email      TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id),    -- reset, verify: whose
    org_id     TEXT REFERENCES organizations(id), -- invite: into which organization
    role       TEXT,                         -- invite: with which role
    created_by TEXT,                         -- invite: who sent it
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

-- The device authorization grant (RFC 8628): a code shown on a device, approved elsewhere.
CREATE TABLE device_grants (
    device_hash   TEXT PRIMARY KEY,          -- SHA-256 of the device code
    user_code     TEXT NOT NULL UNIQUE,      -- what the person types, normalized (no dash)
    client_id     TEXT NOT NULL REFERENCES apps(client_id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL,
    status        TEXT NOT NULL,             -- 'pending' | 'approved' | 'denied' | 'redeemed'
    user_id       TEXT REFERENCES users(id),
    auth_time     BIGINT NOT NULL DEFAULT 0,
    interval_secs BIGINT NOT NULL,          -- the polling interval, raised by slow_down
    last_poll_at  BIGINT NOT NULL DEFAULT 0,
    expires_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
