/**
 * Prints the slowest test files (where the suite's time goes; the suite must stay well under
 * 10 minutes) and one plain closing line — "tests: N passed, N failed, N skipped" — after
 * vitest's own report, so CI logs can be read without knowing vitest's format.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    const slowest = testModules
      .map((module) => ({ file: module.moduleId.replace(`${process.cwd()}/`, ''), ms: module.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15);
    const lines = slowest.map((m) => `  ${(m.ms / 1000).toFixed(1).padStart(7)} s  ${m.file}`).join('\n');
    // After vitest's own summary, as the run's last lines.
    process.once('exit', () => process.stdout.write(`slowest files:\n${lines}\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
