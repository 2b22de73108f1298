-- OpenID Connect: the keys that sign ID tokens (private halves sealed with the installation's
-- secret key), what a code carries into its ID token, and where an app may send a signed-out user.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,             -- 'RS256' | 'EdDSA'
    public_jwk   TEXT NOT NULL,             -- the public key as a JWK (RFC 7517)
    sealed       TEXT NOT NULL,             -- the private key, AES-256-GCM under the secret key
    created_at   INTEGER NOT NULL,
    activates_at INTEGER NOT NULL           -- published from created_at, signs from here
);
ALTER TABLE auth_codes ADD COLUMN nonce TEXT;
ALTER TABLE auth_codes ADD COLUMN auth_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE apps ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
