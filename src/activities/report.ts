/**
 * The final report of a migration, as JSON (for tools), Markdown and HTML with charts (for
 * people), side by side. Written with the same name for the same run, so a retried activity
 * overwrites rather than duplicates.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderReportMarkdown, type ReportInput } from '../report/markdown-report.js';

export type { ReportInput } from '../report/markdown-report.js';
export { renderReportMarkdown } from '../report/markdown-report.js';

/** Where the report of a run was written: one base name, three files. */
export interface ReportPaths {
  json: string;
  markdown: string;
  /** The page with the charts. Absent from results of runs reported before it existed. */
  html?: string;
}

async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export function createReportActivities(deps: { reportDir: string }) {
  return {
    async writeReport(input: ReportInput): Promise<ReportPaths> {
      await mkdir(deps.reportDir, { recursive: true });
      const base = path.join(deps.reportDir, `${input.progress.family}-${input.runId}`);
      const paths = { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
      await writeAtomic(
        paths.json,
        `${JSON.stringify({ ...input, generatedAt: new Date().toISOString() }, null, 2)}\n`,
      );
      await writeAtomic(paths.markdown, renderReportMarkdown(input));
      // Loaded on first use: Observable Plot and its DOM are only needed when a run ends.
      const { renderReportHtml } = await import('../report/html-report.js');
      await writeAtomic(paths.html, renderReportHtml(input));
      return paths;
    },
  };
}
