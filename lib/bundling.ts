/**
 * The one place that decides how a feature handler becomes a Lambda bundle. The function
 * construct (lib/constructs/feature-function.ts, through featureCode) and the bundle budget test
 * (test/budget/bundles.test.ts) both build with these options, so what the test measures is what
 * ships.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync, type BuildOptions } from 'esbuild';
import { REPO_ROOT } from './paths';

/** Node.js major version the bundle targets; must not exceed the Lambda runtime's. */
export const NODE_TARGET = 'node22';

/**
 * Nothing is external: the AWS SDK clients are bundled like any other dependency. The runtime's
 * own SDK is unbundled (hundreds of files resolved and evaluated at init) and a different
 * version from the one tested; one minified file holding only the clients a function uses
 * initialises faster (measured in docs/performance.md). Node built-ins stay external by
 * `platform: 'node'`.
 */
export const EXTERNAL_MODULES: string[] = [];

/**
 * ESM bundles cannot call `require`, but some CommonJS dependencies do (e.g. for Node built-ins);
 * this banner gives them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __crmCreateRequire } from 'node:module'; const require = __crmCreateRequire(import.meta.url);";

/**
 * esbuild options for one feature bundle. Minified ESM with an external source map (without
 * embedded sources, so the map stays small and the code is not duplicated into the artifact);
 * `module` before `main` so dependencies' ESM builds are picked and tree-shaken.
 *
 * Code splitting: what a function reaches only through `import()` — the S3, SES and SMS clients
 * (functions/aws/sdk.ts), handlebars, markdown-it, the Parquet writer, csv-parse, postal-mime —
 * goes into its own file under `chunks/`, which Node reads and parses only when that path first
 * runs. In one file, esbuild wraps such code in a lazy initialiser, but V8 still has to read past
 * all of it at every cold start (docs/performance.md). The entry file is `index.mjs` in the asset
 * (`[name]` of the entry in other builds); its chunks sit next to it.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: EXTERNAL_MODULES,
  banner: { js: ESM_REQUIRE_BANNER },
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
} as const satisfies BuildOptions;

/**
 * A feature function's code asset: `entry` (relative to the repository root) built with
 * ESBUILD_OPTIONS into `index.mjs` plus its chunks, and `files` (relative to the repository root)
 * copied next to it, for code that reads them at run time (FeatureDef.files). Handler:
 * `index.handler`.
 *
 * Built here rather than by NodejsFunction's own bundling, which always passes esbuild an
 * `--outfile` and so cannot split code (splitting needs an output directory). esbuild runs in
 * this process (it is a dev dependency); the asset is hashed by its output, as NodejsFunction does.
 */
export function featureCode(entry: string, files: readonly string[] = []): Code {
  return Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Only used if local bundling is impossible, which it never is with esbuild installed.
      image: DockerImage.fromRegistry('dummy'),
      command: ['bash', '-c', 'echo "feature bundles are built locally with esbuild (lib/bundling.ts)" >&2; exit 1'],
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({
            ...ESBUILD_OPTIONS,
            external: [...ESBUILD_OPTIONS.external],
            entryPoints: [{ in: path.join(REPO_ROOT, entry), out: 'index' }],
            outdir: outputDir,
            absWorkingDir: REPO_ROOT,
            logLevel: 'warning',
          });
          for (const file of files) copyFileSync(path.join(REPO_ROOT, file), path.join(outputDir, path.basename(file)));
          return true;
        },
      },
    },
  });
}
