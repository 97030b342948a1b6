// A test reporter that stays quiet until the run ends, then lists every
// failed test with its file, its suites and its error: the end of a long TAP
// log (all a CI summary may keep) then names what failed. Used beside the
// TAP reporter by scripts/run-tests.mjs.
export default async function* failuresReporter(source) {
  const open = new Map(); // file -> names of the tests started at each nesting level
  const failed = [];
  for await (const event of source) {
    const { name, nesting, file } = event.data ?? {};
    if (event.type === 'test:start') {
      const path = open.get(file) ?? [];
      path.length = nesting;
      path.push(name);
      open.set(file, path);
      continue;
    }
    if (event.type !== 'test:fail') continue;
    const error = event.data.details?.error;
    // A suite fails when its tests do: its own line adds nothing.
    if (error?.failureType === 'subtestsFailed') continue;
    const path = (open.get(file) ?? []).slice(0, nesting).concat(name).join(' > ');
    const cause = error?.cause ?? error;
    const message = String(cause?.message ?? cause ?? 'failed')
      .split('\n')
      .slice(0, 6)
      .join('\n#     ');
    failed.push(`# ${file ?? '(unknown file)'}\n#   ${path}\n#     ${message}`);
  }
  if (failed.length === 0) return;
  yield `# ${failed.length} failed test${failed.length === 1 ? '' : 's'}:\n${failed.join('\n')}\n`;
}
