// Headless Chromium for the page tests, without downloading anything: playwright-core drives the
// system's Chromium (Debian `chromium`, installed by .ci/run). Where none is found, tests skip and say why.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

const chosen = process.env.TEMPA_CHROMIUM;

/** The browser binary: $TEMPA_CHROMIUM when set, else the first system Chromium found. */
export const chromiumPath: string | undefined = (chosen ? [chosen] : CANDIDATES).find((p) => existsSync(p));

/** `skip` option for node:test: false when a browser is here, else the reason. */
export const skipWithoutBrowser: string | false = chromiumPath
  ? false
  : `no Chromium found (looked for ${chosen ? `TEMPA_CHROMIUM=${chosen}` : CANDIDATES.join(', ')}): install Debian's \`chromium\` package to run the browser tests`;

/** Flags for a sandboxed CI box: no sandbox (root in a container), no GPU, no outbound connections of its own. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath!,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
