/**
 * The console's browser code and page: `ui/main.ts` bundled with esbuild when the console starts (in
 * memory, about a second; nothing fetched at run time, no CDN), `ui/console.css` read from the package.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const UI_DIR = join(import.meta.dirname, 'ui');

export interface ConsoleAssets {
  readonly 'console.js': string;
  readonly 'console.css': string;
}

/** Bundles the browser code and reads the style sheet. */
export const buildAssets = async (): Promise<ConsoleAssets> => {
  const [bundle, css] = await Promise.all([
    build({
      entryPoints: [join(UI_DIR, 'main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(join(UI_DIR, 'console.css'), 'utf8'),
  ]);
  const [output] = bundle.outputFiles;
  if (output === undefined) throw new Error('esbuild produced no console bundle');
  return { 'console.js': output.text, 'console.css': css };
};

/** The one HTML page; the browser code renders every view into `<main>`. */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald console</title>
<link rel="stylesheet" href="/assets/console.css">
<script type="module" src="/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="#/">Herald</a>
  <nav aria-label="Sections"><ul id="nav"></ul></nav>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="status" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>
`;
