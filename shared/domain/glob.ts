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
