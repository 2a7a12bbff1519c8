// Browser test of federated login: a person clicks "Sign in with <source>" on the login page,
// the real OpenID Connect provider of the API tests (crates/portcullis/tests/idp/server.mjs,
// node oidc-provider, which completes its own login and consent) sends them back, they confirm
// their username on the enrollment page and end signed in. Started by scripts/browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { api, BASE, launch, shot, TOKEN } from '../lib/common.mjs';

const PROVIDER = resolve(process.cwd(), '..', 'crates', 'portcullis', 'tests', 'idp', 'server.mjs');

let browser;
let provider;
let issuer;
const client = { client_id: `browser-${randomBytes(4).toString('hex')}`, client_secret: randomBytes(16).toString('hex') };

function startProvider() {
  const config = {
    clients: [{ ...client, redirect_uris: [`${BASE}/source/oauth/callback/browser-oidc/`] }],
    accounts: { carla: { sub: 'carla-sub-9', email: 'carla@example.org', email_verified: true, preferred_username: 'carla', name: 'Carla Browser' } },
  };
  provider = spawn(process.execPath, [PROVIDER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the OpenID Connect provider did not start')), 30000);
    let out = '';
    provider.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/READY (\S+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    provider.on('exit', (code) => fail(new Error(`the provider exited with ${code}`)));
  });
}


before(async () => {
  assert.ok(BASE && TOKEN, 'PORTCULLIS_URL and PORTCULLIS_TOKEN must be set');
  issuer = await startProvider();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  provider?.kill();
});


test('sign in with an OpenID Connect source from the login page', async () => {
  const flowPk = async (slug) => (await api('GET', `/api/v3/flows/instances/${slug}/`)).body.pk;
  const created = await api('POST', '/api/v3/sources/oauth/', {
    name: 'Browser OIDC',
    slug: 'browser-oidc',
    provider_type: 'openidconnect',
    consumer_key: client.client_id,
    consumer_secret: client.client_secret,
    oidc_well_known_url: `${issuer}/.well-known/openid-configuration`,
    authentication_flow: await flowPk('default-source-authentication'),
    enrollment_flow: await flowPk('default-source-enrollment'),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const stages = await api('GET', '/api/v3/stages/identification/?name=default-authentication-identification');
  const ident = stages.body.results[0];
  const linked = await api('PATCH', `/api/v3/stages/identification/${ident.pk}/`, { sources: [created.body.pk] });
  assert.equal(linked.status, 200, JSON.stringify(linked.body));

  try {
    const page = await browser.newPage();
    await page.goto(BASE + '/');
    await page.waitForURL(/\/if\/flow\/default-authentication-flow\//);
    const button = page.getByRole('link', { name: 'Sign in with Browser OIDC' });
    await button.waitFor();
    const icon = button.locator('img');
    assert.equal(await icon.getAttribute('src'), '/static/authentik/sources/openidconnect.svg');
    assert.ok(await icon.evaluate((img) => img.complete && img.naturalWidth > 0), 'the icon loads');
    await shot(page, '20-source-button');
    await button.click();

    // The provider signs carla in by itself and sends the browser back; a new user confirms
    // the username the provider suggested.
    await page.waitForURL(/\/if\/flow\/default-source-enrollment\//);
    const username = page.getByLabel('Username');
    await username.waitFor();
    assert.equal(await username.inputValue(), 'carla');
    await shot(page, '21-source-enrollment');
    await page.locator('button[type=submit]').click();

    // The login page was opened for `/` (its `next`), so that is where the source login ends.
    await page.waitForURL(BASE + '/');
    const main = await page.locator('main').textContent();
    assert.match(main, /You are signed in as carla/);
    assert.match(main, /Successfully authenticated with Browser OIDC!/);
    await shot(page, '22-source-signed-in');
    await page.close();

    const connections = await api('GET', '/api/v3/sources/user_connections/oauth/?source__slug=browser-oidc');
    assert.equal(connections.body.results.length, 1);
    assert.equal(connections.body.results[0].identifier, 'carla-sub-9');
  } finally {
    await api('PATCH', `/api/v3/stages/identification/${ident.pk}/`, { sources: [] });
  }
});
