-- Two-factor sign-in: a TOTP secret per person (sealed with the installation's secret key),
-- single-use recovery codes (hashed), sessions and codes that remember a second factor, and an
-- organization's requirement of it.
CREATE TABLE totp_secrets (
    user_id      TEXT PRIMARY KEY REFERENCES users(id),
    sealed       TEXT NOT NULL,
    confirmed_at INTEGER,                    -- NULL while being set up
    last_step    INTEGER NOT NULL DEFAULT 0, -- the newest 30-second step used: a code works once
    created_at   INTEGER NOT NULL
);
CREATE TABLE recovery_codes (
    hash    TEXT PRIMARY KEY,                -- SHA-256 of the code
    user_id TEXT NOT NULL REFERENCES users(id),
    used_at INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);
ALTER TABLE sessions ADD COLUMN mfa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auth_codes ADD COLUMN mfa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;
