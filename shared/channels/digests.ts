/**
 * Digest rendering (SPEC §3 `digest`), in a file of its own: each function's asset that sends digests
 * (deliver, admin) carries it beside `index.js` as `digests.js` (built by `HeraldFunction`), and
 * `loadDigestRendering` (`digest-loading.ts`) loads it when a digest is first sent. A digest goes
 * out at most once per channel period (the admin API's `{"digest": true}` test-send previews one), so
 * its renderers are neither parsed nor run on a cold start.
 *
 * Nothing imports this module but through that loader: a channel type reaches its renderer through the
 * loaded module it is given (`renderDigest: (input, digests) => digests.renderSlackDigest(input)`).
 * The file is a bundle of its own, so the little it shares with `index.js` (text helpers, the types'
 * constants, zod for the schemas its modules declare) is a second copy there. What crosses between
 * the two is plain data and functions, and errors: a `ZodError` thrown here (the e-mail renderer's
 * settings check) is still one to `sendToChannel`, as zod's `instanceof` reads the error's traits.
 */
export { buildDigest, digestEvent, digestTitle } from '../domain/digest.ts';
export { fittingDigestBody } from './digest-text.ts';
export { renderDiscordDigest } from './discord/digest.ts';
export { renderEmailDigest } from './email/digest.ts';
export { renderSlackDigest } from './slack/digest.ts';
export { renderTeamsDigest } from './teams/digest.ts';
