const cache = new Map<string, RegExp>();

/**
 * Compiles a glob where `*` matches any run of characters (including none) and `?` one character;
 * everything else is literal. The whole value must match.
 */
export const globToRegExp = (glob: string): RegExp => {
  let compiled = cache.get(glob);
  if (compiled === undefined) {
    const source = glob
      .split('')
      .map((char) => {
        if (char === '*') return '.*';
        if (char === '?') return '.';
        return char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
      })
      .join('');
    compiled = new RegExp(`^${source}$`, 's');
    cache.set(glob, compiled);
  }
  return compiled;
};

export const globMatches = (glob: string, value: string): boolean => globToRegExp(glob).test(value);
