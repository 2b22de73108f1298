-- Open sign-up: the e-mail domains whose people may join an organization by themselves (after
-- proving their address by mail), with the role they get. A domain belongs to one organization.
CREATE TABLE signup_domains (
    domain     TEXT PRIMARY KEY,                        -- lower case
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    role       TEXT NOT NULL,
    created_by TEXT,                                    -- null: the operator
    created_at INTEGER NOT NULL
);
CREATE INDEX signup_domains_by_org ON signup_domains(org_id);
