-- Every node polls the newest revocation time to notice revocations made elsewhere.
CREATE INDEX tokens_by_revoked_at ON tokens(revoked_at);
