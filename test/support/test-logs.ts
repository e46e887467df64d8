import type { DestinationStream } from 'pino';

// What the servers a test starts print (the pino logs of in-process apps, the
// output of child processes) goes here. The test environment
// (quiet-environment.mjs) keeps it while the test runs and prints it only if the
// test fails; with LOG_LEVEL set (`LOG_LEVEL=info npm test`) it is printed as it
// comes, and in-process apps log at that level.

interface Kept {
  lines: string[];
  dropped: number;
  max: number;
}

const kept = (globalThis as { __TEST_LOGS__?: Kept }).__TEST_LOGS__;
export const liveLogs = Boolean(process.env.LOG_LEVEL) || !kept;

/** A writer of whole or partial lines, each line kept (or printed) with `label` in front. */
export function testLog(label: string): (text: string) => void {
  let partial = '';
  return (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      if (liveLogs || !kept) process.stderr.write(`${label} ${line}\n`);
      else if (kept.lines.push(`${label} ${line}\n`) > kept.max) {
        kept.lines.shift();
        kept.dropped++;
      }
    }
  };
}

/** A pino destination for an in-process app: undefined (stdout) with LOG_LEVEL set, else kept. */
export function appLogDestination(label: string): DestinationStream | undefined {
  if (liveLogs) return undefined;
  const write = testLog(label);
  return { write };
}
