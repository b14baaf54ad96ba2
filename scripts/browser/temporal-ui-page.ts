/**
 * The Temporal Web UI's workflow list as a person sees it: which status each migration's newest
 * run shows. Requests off the UI's own server (its news feed) are refused, so the check runs
 * offline; the UI's own console output is not Phoenix's to judge.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';

const ROW = 'tr[data-testid="workflows-summary-configurable-table-row"]';
const STATUS = /\b(running|completed|failed|terminated|canceled|cancelled|timed ?out|continued ?as ?new)\b/i;

/**
 * Opens `{uiUrl}/namespaces/{namespace}/workflows`, asserts the newest row of each workflow id
 * shows the expected status (`COMPLETED`, `FAILED`, …), and saves a full-page screenshot.
 * @returns the statuses read from the page, by workflow id.
 */
export async function checkWorkflowList(
  browser: Browser,
  uiUrl: string,
  expected: Record<string, string>,
  o: { screenshot: string; namespace?: string; timeoutMs?: number },
): Promise<Record<string, string>> {
  const origin = new URL(uiUrl).origin;
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.route(
    (url) => url.origin !== origin,
    (route) => route.abort(),
  );
  const page = await context.newPage();
  try {
    await page.goto(`${uiUrl}/namespaces/${encodeURIComponent(o.namespace ?? 'default')}/workflows`);
    const ids = Object.keys(expected);
    const timeout = o.timeoutMs ?? 30_000;
    for (const id of ids) await page.locator(ROW, { hasText: id }).first().waitFor({ timeout });
    // Rows are newest first; a row is a workflow's when one of its cells is exactly the id.
    const rows = await page
      .locator(ROW)
      .evaluateAll((trs: { querySelectorAll(s: string): Iterable<{ innerText: string }> }[]) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())),
      );
    const seen: Record<string, string> = {};
    for (const id of ids) {
      const cells = rows.find((r) => r.includes(id));
      assert.ok(cells, `the Temporal UI's list has no row for ${id}`);
      const status = cells.map((c) => STATUS.exec(c)?.[1]).find((s) => s !== undefined);
      seen[id] = (status ?? '?').toUpperCase().replace(/\s+/g, '');
    }
    const want = Object.fromEntries(ids.map((id) => [id, expected[id]!.toUpperCase()]));
    assert.deepEqual(seen, want, `the Temporal UI's list shows ${JSON.stringify(seen)}`);
    return seen;
  } finally {
    await page.screenshot({ path: o.screenshot, fullPage: true }).catch(() => undefined);
    await context.close();
  }
}
