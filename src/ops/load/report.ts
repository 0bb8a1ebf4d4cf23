import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHtmlReport } from './report-html.js';
import type { LoadReport } from './report-shape.js';

export const RESULTS_FILE = 'results.json';
export const REPORT_FILE = 'report.html';
export const LEDGER_FILE = 'ledger.ndjson';

/** Writes `results.json` and the self-contained `report.html` into `dir`; returns their paths. */
export function writeReport(dir: string, report: LoadReport): { results: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const results = join(dir, RESULTS_FILE);
  const html = join(dir, REPORT_FILE);
  writeFileSync(results, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(html, renderHtmlReport(report));
  return { results, html };
}
