// A real OpenID Connect provider (panva's oidc-provider) for the integration tests of
// Portcullis's OAuth / OpenID Connect sources. Started by tests/api/idp.rs; usable by hand:
//
//   node server.mjs '{"clients":[...],"accounts":{...}}'      (or: node server.mjs config.json)
//
// Config:
//   clients:  [{ "client_id", "client_secret", "redirect_uris": [...] }]
//             confidential web clients, client_secret_post, response type code, grant
//             authorization_code. PKCE (S256 only) is accepted but not required.
//   accounts: { "<login name>": { "sub", "email", "email_verified", "preferred_username",
//             "name", "nickname"? }, ... }   (insertion order matters: the first is the default)
//
// It listens on 127.0.0.1, a free port, with issuer http://127.0.0.1:<port>, and prints exactly
// one line `READY http://127.0.0.1:<port>` on stdout once it accepts requests.
//
// Nobody types a password: the interaction URL completes every prompt by itself.
//   login prompt:   the account named by the authorization request's `login_hint` (matched
//                   against the account's key, then its sub, then its email); without a hint the
//                   first account. An unknown hint ends the request with `access_denied`
//                   (redirected to the client with `error=access_denied&state=...`), which lets
//                   tests exercise a provider-reported error.
//   consent prompt: a Grant with exactly the requested scopes and claims.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

// oidc-provider announces, on the console, that it runs on Node.js 20 rather than 22 LTS and
// that its store is in memory. Both are true and intended for a test provider; silence exactly
// those notices so that stdout holds only the READY line and stderr only real errors.
const EXPECTED_NOTICES = [
  'oidc-provider WARNING: Unsupported runtime',
  'oidc-provider WARNING: a quick start development-only in-memory adapter',
];
for (const level of ['info', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (typeof args[0] === 'string' && EXPECTED_NOTICES.some((n) => args[0].startsWith(n))) return;
    original(...args);
  };
}
// Imported after the filter: the runtime notice is printed while the module loads.
const { default: Provider, errors } = await import('oidc-provider');

function fail(message) {
  process.stderr.write(`test idp: ${message}\n`);
  process.exit(2);
}

function readConfig() {
  const arg = process.argv[2];
  if (!arg) fail('usage: node server.mjs <config JSON | path to a JSON file>');
  let text = arg;
  if (!arg.trimStart().startsWith('{')) {
    try {
      text = readFileSync(arg, 'utf8');
    } catch (e) {
      fail(`cannot read config file ${arg}: ${e.message}`);
    }
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (e) {
    fail(`config is not JSON: ${e.message}`);
  }
  if (!Array.isArray(config.clients) || config.clients.length === 0) fail('config.clients must be a non-empty array');
  if (!config.accounts || typeof config.accounts !== 'object' || Object.keys(config.accounts).length === 0) {
    fail('config.accounts must be a non-empty object');
  }
  for (const [name, account] of Object.entries(config.accounts)) {
    if (typeof account?.sub !== 'string' || account.sub === '') fail(`account ${name} needs a string "sub"`);
  }
  return config;
}

const config = readConfig();
const accounts = Object.entries(config.accounts); // [[login name, claims]], in config order
const accountBySub = new Map(accounts.map(([, a]) => [a.sub, a]));

// The account a login_hint names, or undefined when it names none.
function accountForHint(hint) {
  if (hint === undefined || hint === null || hint === '') return accounts[0][1];
  const byName = accounts.find(([name]) => name === hint);
  if (byName) return byName[1];
  return accountBySub.get(hint) ?? accounts.find(([, a]) => a.email === hint)?.[1];
}

// A fresh RS256 signing key per run, so nothing secret is committed and keys differ between runs.
function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };
}

// The issuer contains the port, so bind first and give the server its handler afterwards.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [signingKey()] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'nickname'],
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
  },
  // Explicit lifetimes (seconds): the defaults work but announce themselves on the console.
  ttl: { AccessToken: 3600, AuthorizationCode: 600, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
  // PKCE is checked when the client sends a challenge; it is required of nobody.
  pkce: { required: () => false },
  async findAccount(ctx, sub) {
    const account = accountBySub.get(sub);
    if (!account) return undefined;
    // Every claim the account has; oidc-provider releases only those the scopes allow, and
    // leaves out the ones the account lacks (e.g. nickname).
    return { accountId: sub, claims: async () => ({ ...account }) };
  },
  // No browser ever calls this provider cross-origin; answering no CORS is the honest default.
  clientBasedCORS: () => false,
  // A plain error page (the default one loads fonts from the internet); the walker in idp.rs
  // shows it when a redirect chain goes wrong.
  async renderError(ctx, out) {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `oidc-provider error\n${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
  },
});

// The interaction URL (/interaction/<uid>): finish the current prompt without a person.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'GET' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (prompt.name === 'login') {
    const account = accountForHint(params.login_hint);
    result = account
      ? { login: { accountId: account.sub } }
      : { error: 'access_denied', error_description: 'login_hint names no test account' };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    throw new errors.InvalidRequest(`unexpected prompt ${prompt.name}`);
  }
  // interactionFinished answers on the raw response itself (303 to the resume URL).
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
});

// oidc-provider checks client metadata on first use; check it now so that a bad test config
// fails at start with its reason instead of as a server_error in the middle of a login.
for (const { client_id } of config.clients) {
  try {
    if (!(await provider.Client.find(client_id))) fail(`client ${client_id} was not registered`);
  } catch (e) {
    fail(`invalid client ${client_id}: ${e.error_description ?? e.message}`);
  }
}

server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
// The harness holds our stdin open and asks for this: when the test process dies without
// running its Drop (killed on a timeout), the pipe closes and the provider goes with it.
if (process.env.IDP_EXIT_ON_STDIN_CLOSE === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
