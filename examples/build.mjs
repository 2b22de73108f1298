// Builds the sample apps' browser bundles: `npm run build` (output is committed so that
// `tessera demo` can serve the browser app without Node; CI checks it is up to date).
import * as esbuild from 'esbuild';

const common = { bundle: true, minify: true, format: 'esm', target: 'es2022', legalComments: 'none', logLevel: 'info' };
await esbuild.build({
  ...common,
  entryPoints: { app: 'browser-app/src/main.js' },
  outdir: 'browser-app/dist',
});
await esbuild.build({ ...common, entryPoints: { app: 'shared/app.css' }, outdir: 'browser-app/dist' });
await esbuild.build({ ...common, entryPoints: { page: 'server-app/src/page.js' }, outdir: 'server-app/public' });
await esbuild.build({ ...common, entryPoints: { app: 'shared/app.css' }, outdir: 'server-app/public' });
