-- Tokens issued from now on carry their id and are found by it (see `auth::issue_token`), so
-- the unique index over every token's random hash goes: it dirtied a random page on each
-- insert and grew slower with the table. Tokens issued before keep working: their hashes move
-- to `legacy_tokens`, which nothing adds to.
CREATE TABLE legacy_tokens (
    hash TEXT PRIMARY KEY,
    id   TEXT NOT NULL
);
INSERT INTO legacy_tokens (hash, id) SELECT hash, id FROM tokens;
ALTER TABLE tokens DROP CONSTRAINT tokens_hash_key;

-- Only tokens that have these are indexed.
DROP INDEX tokens_by_family;
CREATE INDEX tokens_by_family ON tokens(family_id) WHERE family_id IS NOT NULL;
DROP INDEX tokens_by_revoked_at;
CREATE INDEX tokens_by_revoked_at ON tokens(revoked_at) WHERE revoked_at IS NOT NULL;
-- Expired tokens are deleted a day after they expire (`Core::forget_expired`).
CREATE INDEX tokens_by_expiry ON tokens(expires_at) WHERE expires_at IS NOT NULL;
