/**
 * Loading the digest renderers (`digests.ts`), kept out of the cold start like the Powertools Tracer
 * (`shared/runtime/tracing.ts`): they live in a file of their own beside the bundle of each function
 * that sends digests (`digests.js`, built by `HeraldFunction`), loaded with `import()` when a digest is
 * first sent. This module imports nothing (types only), so loading it costs nothing.
 */
import type { DigestRendering } from './types.ts';

/** The digest renderers' file: beside `index.js` in a function's asset, beside this module in the sources. */
export const DIGESTS_FILE = 'digests.js';

/**
 * A path that is no string literal: esbuild leaves the `import()` as it is instead of bundling the
 * renderers into `index.js`; Node resolves it next to the bundle (tsx and Vitest find the `.ts` source).
 */
const DIGESTS_SPECIFIER = `./${DIGESTS_FILE}`;

/** The digest renderers; Node loads the file once and answers later calls from its module cache. */
export const loadDigestRendering = (): Promise<DigestRendering> =>
  import(DIGESTS_SPECIFIER) as Promise<DigestRendering>;
