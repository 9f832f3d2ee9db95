// Takes docs/report.png, the README's picture of the quickstart's report: the top of report.html (the
// same prompts after each stage, then the first stages' numbers and curves), in the system Chromium.
// node --import tsx docs/report-screenshot.ts <report.html> [out.png]
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../tests/helpers/browser.ts';

const [report, out = 'docs/report.png'] = process.argv.slice(2);
if (!report) throw new Error('usage: docs/report-screenshot.ts <report.html> [out.png]   (`tempa report` prints its path)');
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1150, height: 1130 } });
  await page.goto(pathToFileURL(report).href);
  await page.screenshot({ path: out });
  process.stdout.write(`${out}\n`);
} finally {
  await browser.close();
}
