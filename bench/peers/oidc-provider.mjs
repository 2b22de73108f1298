// Peer for the token endpoint: npm oidc-provider (a certified OAuth 2.0 / OpenID Connect
// provider) with the equivalent setup — a confidential client with client_credentials, opaque
// access tokens, introspection. Its default in-memory storage (tessera's is durable SQLite).
// Prints `listening on http://ADDR`; CLIENT_ID / CLIENT_SECRET come from the environment.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const provider = new Provider('http://127.0.0.1', {
  clients: [
    {
      client_id: process.env.CLIENT_ID ?? 'bench',
      client_secret: process.env.CLIENT_SECRET ?? 'bench-secret-bench-secret-bench-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: ['elements:read'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  ttl: { ClientCredentials: 3600 },
});
provider.proxy = true;
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
