// An organization's own identity provider for the single sign-on tests: npm oidc-provider (a
// certified OpenID Connect provider) in this process on a port of 127.0.0.1, with one client,
// tessera. Its development pages sign people in: any login name and password; the login name is
// the person's e-mail address, which the provider says it verified.
import http from 'node:http';
import Provider from 'oidc-provider';

/** Start the provider for a client `{ clientId, clientSecret, redirectUri }`; `people` maps
 * login names to profile claims (given_name, family_name). Returns `{ issuer, close() }`. */
export async function startProvider({ clientId, clientSecret, redirectUri, people = {} }) {
  // The issuer names the port, so listen first and hand the requests to the provider after.
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'name'] },
    // tessera reads the person from the ID token alone (it never calls userinfo), so the
    // claims of the granted scopes go in it.
    conformIdTokenClaims: false,
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => {
        const p = people[id] ?? {};
        const name = [p.given_name, p.family_name].filter(Boolean).join(' ') || undefined;
        return { sub: id, email: id, email_verified: true, ...p, name };
      },
    }),
    cookies: { keys: ['the identity provider of the single sign-on tests'] },
    // Lifetimes (seconds) given, so that the provider does not log a notice for each default.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  provider.on('server_error', (ctx, err) => console.error('identity provider:', err));
  server.on('request', provider.callback());
  return {
    issuer,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
