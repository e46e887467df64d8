// The environment of every test file: jest's node environment, plus the logs of the
// servers a test starts (in-process apps and child processes, see test-logs.ts). They
// are kept while the test runs and printed only if it (or a hook) fails, so that a
// passing run prints jest's report and nothing else. With LOG_LEVEL set, test-logs.ts
// prints them as they come instead.
import { relative } from 'node:path';
import { TestEnvironment } from 'jest-environment-node';

const MAX_LINES = 2000;

export default class QuietEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.file = relative(config.globalConfig.rootDir, context.testPath);
    this.logs = { lines: [], dropped: 0, max: MAX_LINES };
    this.global.__TEST_LOGS__ = this.logs;
  }

  handleTestEvent(event) {
    if (event.name === 'test_done')
      this.flush(event.test.errors.length > 0, `"${path(event.test.parent, event.test.name)}"`);
    else if (event.name === 'hook_failure')
      this.flush(true, `${event.hook.type} of "${path(event.hook.parent) || 'the file'}"`);
  }

  flush(failed, what) {
    const { lines, dropped } = this.logs;
    if (failed && lines.length > 0) {
      const skipped = dropped ? `(${dropped} earlier lines not kept)\n` : '';
      process.stderr.write(
        `\n---- logs of the servers of ${what} in ${this.file} ----\n${skipped}${lines.join('')}---- end of logs ----\n`,
      );
    }
    lines.length = 0;
    this.logs.dropped = 0;
  }
}

/** "describe › nested describe › name" (the root block has no parent and no name). */
function path(block, name) {
  const names = name ? [name] : [];
  for (; block && block.parent; block = block.parent) names.unshift(block.name);
  return names.join(' › ');
}
