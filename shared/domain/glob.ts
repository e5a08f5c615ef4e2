/**
 * Whether a glob matches the whole value: `*` matches any run of characters (including none), `?`
 * exactly one, everything else is literal. Linear-time two-pointer matching with backtracking to the
 * last `*` only, so no pattern can make matching slow (a regular expression of `.*` runs could
 * backtrack catastrophically and stall the router).
 */
export const globMatches = (glob: string, value: string): boolean => {
  let g = 0;
  let v = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (v < value.length) {
    const char = glob[g];
    if (char === '*') {
      starAt = g;
      resumeAt = v;
      g += 1;
    } else if (char !== undefined && (char === '?' || char === value[v])) {
      g += 1;
      v += 1;
    } else if (starAt >= 0) {
      g = starAt + 1;
      resumeAt += 1;
      v = resumeAt;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g += 1;
  return g === glob.length;
};

/** The characters that make a glob more than a literal string. */
const METACHARACTER = /[*?]/;

/** Whether a glob has no metacharacter, so it matches exactly one value: itself. */
export const isLiteralGlob = (glob: string): boolean => !METACHARACTER.test(glob);

/** The literal run before the first metacharacter: every value the glob matches starts with it. */
export const literalPrefix = (glob: string): string => {
  const at = glob.search(METACHARACTER);
  return at < 0 ? glob : glob.slice(0, at);
};

/**
 * A test equivalent to `globMatches(glob, ·)`, with the common shapes (a literal, `*`, `prefix*`,
 * `*suffix`) answered by a comparison instead of the general loop. Compile once, test many times.
 */
export const compileGlob = (glob: string): ((value: string) => boolean) => {
  if (isLiteralGlob(glob)) return (value) => value === glob;
  if (/^\*+$/.test(glob)) return () => true;
  const prefix = /^([^*?]*)\*+$/.exec(glob)?.[1];
  if (prefix !== undefined) return (value) => value.startsWith(prefix);
  const suffix = /^\*+([^*?]*)$/.exec(glob)?.[1];
  if (suffix !== undefined) return (value) => value.endsWith(suffix);
  return (value) => globMatches(glob, value);
};
