// `npm run bundle` (after `npm run build`): one ESM file per entry point in dist/bundle/, with every
// JS dependency inlined, so an image needs node and that file — plus node-llama-cpp's own package
// folder for the runtime, which loads native binaries relative to itself and so stays external.
// Smaller images and faster start-up than a node_modules tree (the operator: ~4 MB instead of ~120).
// BUNDLE_OPTIONS are exported so that bench:operator measures the operator exactly as it ships.
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const BUNDLE_DIR = 'dist/bundle';

const BUNDLES = {
  'kubellama-runtime': 'dist/runtime/cli/cli.js',
  'kubellama-operator': 'dist/operator/main.js',
} as const;

export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['node-llama-cpp'],
  // CommonJS dependencies call require(); an ESM bundle has none unless it makes one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  legalComments: 'eof',
  sourcemap: false,
  logLevel: 'warning',
} as const satisfies BuildOptions;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: BUNDLES,
    outdir: BUNDLE_DIR,
    outExtension: { '.js': '.mjs' },
  });
  for (const name of Object.keys(BUNDLES)) console.log(`wrote ${BUNDLE_DIR}/${name}.mjs`);
}
