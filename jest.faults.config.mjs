// `npm run test:faults`: the fault-injection suites (test/faults/*.faults-spec.ts).
// Same transform as `npm test`, but no shared test database (each scenario starts
// the built service against a PostgreSQL of its own), one suite at a time (they
// load the machine on purpose) and longer timeouts.
import { readFileSync } from 'node:fs';

const {
  globalSetup: _setup,
  globalTeardown: _teardown,
  ...base
} = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).jest;

export default {
  ...base,
  testRegex: 'test/faults/.*\\.faults-spec\\.ts$',
  testTimeout: 240_000,
  maxWorkers: 1,
};
