// A real OpenID Connect provider for the single sign-on tests: panva's certified `oidc-provider`
// with a fresh RS256 key, the clients and users given as JSON in OIDC_TEST_CONFIG, and a plain
// sign-in form for its interactions. It prints "ready <issuer>" once it listens.
//
// OIDC_TEST_CONFIG = {"issuer": "http://127.0.0.1:PORT", "port": PORT,
//   "clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//   "users": {"<login>": {"password": "...", "claims": {"oid": ..., "groups": [...], ...}}}}
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);
const users = config.users;

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
    ...client,
  })),
  jwks: { keys: [signingKey()] },
  cookies: { keys: [randomUUID()] },
  // Entra ID puts the groups and the object id in the ID token itself.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'oid', 'tid', 'groups'],
    email: ['email'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...user.claims }; } };
  },
});

const page = (uid, error) => `<!doctype html><html lang="en"><head><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label for="login">Username</label> <input id="login" name="login" autocomplete="off">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></body></html>`;

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return Object.fromEntries(new URLSearchParams(raw));
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  if (req.method === 'GET') {
    res.end(page(uid));
    return;
  }
  const { login, password } = await formBody(req);
  const user = users[login];
  if (!user || user.password !== password) {
    res.statusCode = 401;
    res.end(page(uid, 'Wrong username or password'));
    return;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: login },
    consent: { grantId } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1]).catch((error) => {
    res.statusCode = 500;
    res.end(String(error));
  });
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
