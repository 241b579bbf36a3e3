// Bundles the extension and the headless CLI into dist/ (vscode stays external, undici is bundled), and the dashboard page for browsers.
const esbuild = require('esbuild');
const fs = require('fs');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// The bench profiles the shipped (minified) bundle, mapped back to src/ through its source map.
const sourcemap = !production || process.argv.includes('--sourcemap');

/** @type {import('esbuild').BuildOptions} */
const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
  // Pure ASCII output: V8 keeps a script with one non-ASCII character as a two-byte string (2.5 MB of heap for cli.js).
  charset: 'ascii',
  legalComments: 'none',
};

/** The dashboard page (and Tail Logs): one script with uPlot inside, and its stylesheet (dist/dashboard.css, from the CSS it imports). */
/** @type {import('esbuild').BuildOptions} */
const page = {
  bundle: true,
  platform: 'browser',
  target: ['chrome114', 'firefox115', 'safari16'],
  format: 'iife',
  sourcemap,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  entryPoints: ['src/dashboard/page/main.ts'],
  outfile: 'dist/dashboard.js',
};

const builds = [
  { ...shared, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...shared, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  page,
];

async function main() {
  const present = builds.filter((b) => fs.existsSync(b.entryPoints[0]));
  if (watch) {
    for (const b of present) await (await esbuild.context(b)).watch();
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(present.map((b) => esbuild.build(b)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
