-- Tokens issued from now on carry their id and are found by it (see `auth::issue_token`), so
-- the unique index over every token's random hash goes: it dirtied a random page on each
-- insert, which was most of what issuing a token cost, and grew slower with the table.
-- Tokens issued before keep working: their hashes move to `legacy_tokens`, which nothing adds to.
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt (nothing refers to it).
CREATE TABLE legacy_tokens (
    hash TEXT PRIMARY KEY,
    id   TEXT NOT NULL
);
INSERT INTO legacy_tokens (hash, id) SELECT hash, id FROM tokens;

CREATE TABLE tokens_rebuilt (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,              -- SHA-256 of the token; the token itself is never stored
    kind       TEXT NOT NULL,              -- 'bot' | 'access' | 'refresh'
    user_id    TEXT NOT NULL REFERENCES users(id),
    client_id  TEXT,
    scopes     TEXT NOT NULL,
    workspaces TEXT,                       -- JSON array of workspace ids, when narrowed
    expires_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    family_id  TEXT,                       -- tokens from one grant (code + refresh chain) or one bot token
    rotated_at INTEGER
);
INSERT INTO tokens_rebuilt (id, hash, kind, user_id, client_id, scopes, workspaces, expires_at, revoked_at,
                            created_at, family_id, rotated_at)
    SELECT id, hash, kind, user_id, client_id, scopes, workspaces, expires_at, revoked_at,
           created_at, family_id, rotated_at
    FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_rebuilt RENAME TO tokens;

CREATE INDEX tokens_by_user ON tokens(user_id);
CREATE INDEX tokens_by_client_user ON tokens(client_id, user_id);
-- Only tokens that have these are indexed: a token without a family or a revocation (most of
-- them, when issued) adds nothing to these indexes.
CREATE INDEX tokens_by_family ON tokens(family_id) WHERE family_id IS NOT NULL;
CREATE INDEX tokens_by_revoked_at ON tokens(revoked_at) WHERE revoked_at IS NOT NULL;
-- Expired tokens are deleted a day after they expire (`Core::forget_expired`).
CREATE INDEX tokens_by_expiry ON tokens(expires_at) WHERE expires_at IS NOT NULL;
