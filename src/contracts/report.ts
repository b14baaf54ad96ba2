/** Contract suite results as a terminal table and as JUnit XML for CI systems. Pure. */
import type { ContractSuiteResult } from './runner.js';
import { describeStep } from './steps.js';

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** JUnit XML: one testsuite per family, one testcase per case, failures with their messages. */
export function toJUnit(suites: readonly ContractSuiteResult[]): string {
  const total = suites.reduce((n, s) => n + s.total, 0);
  const failed = suites.reduce((n, s) => n + s.failed, 0);
  const time = (ms: number): string => (ms / 1000).toFixed(3);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="phoenix contracts" tests="${total}" failures="${failed}" time="${time(suites.reduce((n, s) => n + s.durationMs, 0))}">`,
  ];
  for (const s of suites) {
    out.push(
      `  <testsuite name="${xml(s.family)}" tests="${s.total}" failures="${s.failed}" time="${time(s.durationMs)}">`,
    );
    for (const c of s.cases) {
      const name = `${xml(c.name)}" classname="${xml(`${s.family}.${c.endpoint}`)}" time="${time(c.durationMs)}`;
      if (c.passed) {
        out.push(`    <testcase name="${name}"/>`);
        continue;
      }
      out.push(`    <testcase name="${name}">`);
      for (const f of c.failures)
        out.push(
          `      <failure type="${f.kind}" message="${xml(f.message.slice(0, 500))}">${xml(`${c.file}\n${f.message}`)}</failure>`,
        );
      out.push('    </testcase>');
    }
    for (const st of (s.steps ?? []).filter((x) => !x.ok))
      out.push(
        `    <testcase name="${xml(`${st.phase}: ${st.step}`)}" classname="${xml(`${s.family}.${st.file}`)}" time="0">`,
        `      <failure type="${st.phase}" message="${xml(describeStep(st).slice(0, 500))}">${xml(describeStep(st))}</failure>`,
        '    </testcase>',
      );
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

/** A readable table and summary per family. */
export function toTable(suites: readonly ContractSuiteResult[]): string {
  const lines: string[] = [];
  for (const s of suites) {
    lines.push(`${s.family} (${s.mode}): ${s.passed}/${s.total} passed in ${s.durationMs} ms`);
    for (const c of s.cases) {
      lines.push(
        `  ${c.passed ? '✓' : '✗'} ${c.name.padEnd(48)} ${`${c.method} ${c.target}`.padEnd(44)} ${c.status.legacy ?? '-'}/${c.status.new ?? '-'}${c.adapted ? ' (adapted)' : ''}`,
      );
      for (const f of c.failures) lines.push(`      ${f.kind}: ${f.message}`);
    }
    for (const st of (s.steps ?? []).filter((x) => !x.ok)) lines.push(`  ✗ ${describeStep(st)}`);
  }
  const total = suites.reduce((n, s) => n + s.total, 0);
  const failed = suites.reduce((n, s) => n + s.failed, 0);
  lines.push(failed === 0 ? `all ${total} cases passed` : `${failed} of ${total} cases failed`);
  return lines.join('\n');
}
