// Summarises Stryker JSON reports (reports/mutation/<scope>.json): the score
// per file as docs/TESTING.md counts it, then every mutant that survived or
// had no coverage, with its line and the expression it replaced (several
// mutants can share a line and column: `a || b` → false for the whole
// condition and for `a` alone).
//   node scripts/mutation-survivors.mjs reports/mutation/staking-core.json [...]
import { readFileSync } from 'node:fs';

const KILLED = new Set(['Killed', 'Timeout']);
const MISSED = new Set(['Survived', 'NoCoverage']);

/** The source a mutant replaced (report positions: 1-based lines and columns). */
function textAt(lines, { start, end }) {
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const middle = lines.slice(start.line, end.line - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...middle, lines[end.line - 1].slice(0, end.column - 1)].map((l) => l.trim()).join(' ');
}

const clip = (text) => (text.length > 80 ? `${text.slice(0, 77)}...` : text);

function summarise(path) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const rows = [];
  const missed = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    const count = (set) => mutants.filter((m) => set.has(m.status)).length;
    const killed = count(KILLED);
    const survived = mutants.filter((m) => m.status === 'Survived').length;
    const noCoverage = mutants.filter((m) => m.status === 'NoCoverage').length;
    const other = mutants.length - killed - survived - noCoverage;
    const scored = killed + survived + noCoverage;
    rows.push({ file, mutants: mutants.length, killed, survived, noCoverage, other, score: scored === 0 ? 'n/a' : `${((100 * killed) / scored).toFixed(1)} %` });
    for (const m of mutants.filter((x) => MISSED.has(x.status)).sort((a, b) => a.location.start.line - b.location.start.line)) {
      const line = m.location.start.line;
      const original = clip(textAt(lines, m.location));
      missed.push(
        `${file}:${line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${JSON.stringify(original)} → ${JSON.stringify(m.replacement ?? '')}\n    ${lines[line - 1]?.trim()}`,
      );
    }
  }
  const total = rows.reduce((t, r) => ({ killed: t.killed + r.killed, scored: t.scored + r.killed + r.survived + r.noCoverage }), { killed: 0, scored: 0 });
  console.log(`# ${path}: ${total.killed} / ${total.scored} killed = ${total.scored === 0 ? 'n/a' : ((100 * total.killed) / total.scored).toFixed(1)} %`);
  console.log('file | mutants | killed (timeouts incl.) | survived | no coverage | other (errors, ignored) | score');
  for (const r of rows) console.log(`${r.file} | ${r.mutants} | ${r.killed} | ${r.survived} | ${r.noCoverage} | ${r.other} | ${r.score}`);
  console.log('');
  for (const m of missed) console.log(m);
  console.log('');
}

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error('usage: node scripts/mutation-survivors.mjs reports/mutation/<scope>.json [...]');
  process.exit(2);
}
for (const p of paths) summarise(p);
