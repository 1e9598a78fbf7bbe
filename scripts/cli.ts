/**
 * What every operations script (`npm run redrive`, `npm run backfill:…`) does the same way: run
 * `main` only when the file is the script being run (not when a test imports it), set the exit
 * code from its answer, and print a failure as one line (name and message, no stack).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function runIfInvoked(moduleUrl: string, label: string, main: (argv: string[]) => Promise<number>): void {
  let direct = false;
  try {
    direct = !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    direct = false;
  }
  if (!direct) return;
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (error: unknown) => {
      process.stderr.write(`${label} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
