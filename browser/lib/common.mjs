// What the browser tests share: the server they run against (set by scripts/browser), the
// admin API, Chromium as this machine can run it, and screenshots.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE = process.env.PORTCULLIS_URL;
export const TOKEN = process.env.PORTCULLIS_TOKEN;
export const PASSWORD = process.env.PORTCULLIS_PASSWORD;
const LABEL = process.env.PORTCULLIS_DB_LABEL || 'db';
const SHOTS = process.env.PORTCULLIS_SCREENSHOTS || join(process.cwd(), '..', 'target', 'browser-screenshots');
mkdirSync(SHOTS, { recursive: true });

// Headless Chromium without the background networking this closed machine refuses.
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${LABEL}-${name}.png`), fullPage: true });
}

// One admin API call with the bootstrap token.
export async function api(method, path, body) {
  const r = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
