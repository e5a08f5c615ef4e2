/** Herald's version, sent in `user-agent` (kept equal to package.json's by a unit test). */
export const HERALD_VERSION = '0.1.0';
