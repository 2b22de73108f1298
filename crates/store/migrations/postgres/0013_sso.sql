-- Single sign-on: an organization's upstream OpenID Connect identity provider (its client
-- secret sealed with the installation's secret key), the e-mail domains that lead to it, the
-- upstream identities linked to people, and what a sign-in in progress must remember.
CREATE TABLE identity_providers (
    org_id        TEXT PRIMARY KEY REFERENCES organizations(id),
    id            TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    default_role  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE TABLE identity_provider_domains (
    domain TEXT PRIMARY KEY,                 -- lower case
    org_id TEXT NOT NULL REFERENCES identity_providers(org_id) ON DELETE CASCADE
);
CREATE TABLE user_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_by_user ON user_identities(user_id);
ALTER TABLE account_links ADD COLUMN data TEXT;  -- sso: the nonce, PKCE verifier and next page
