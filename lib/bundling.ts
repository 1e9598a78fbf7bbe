/**
 * The one place that decides how a feature handler becomes a Lambda bundle. CDK's
 * NodejsFunction (lib/constructs/feature-function.ts) and the bundle budget test
 * (test/budget/bundles.test.ts) both read these options, so the size the test measures is the
 * size that ships.
 */
import path from 'node:path';
import type { BuildOptions } from 'esbuild';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

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
} as const satisfies BuildOptions;

/**
 * The same options in the shape NodejsFunction takes. `files` (relative to the repository root)
 * are copied next to the bundle, for code that reads them at run time (FeatureDef.files).
 */
export function cdkBundlingOptions(files: readonly string[] = []): BundlingOptions {
  return {
    ...(files.length > 0 && {
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) =>
          files.map((file) => `cp "${path.posix.join(inputDir, file)}" "${path.posix.join(outputDir, path.posix.basename(file))}"`),
      },
    }),
    format: OutputFormat.ESM,
    target: ESBUILD_OPTIONS.target,
    minify: ESBUILD_OPTIONS.minify,
    sourceMap: ESBUILD_OPTIONS.sourcemap,
    sourcesContent: ESBUILD_OPTIONS.sourcesContent,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    // Explicit: left undefined, NodejsFunction marks @aws-sdk/* external on Node ≥ 18 runtimes.
    externalModules: [...ESBUILD_OPTIONS.external],
    bundleAwsSDK: true,
    banner: ESBUILD_OPTIONS.banner.js,
  };
}
