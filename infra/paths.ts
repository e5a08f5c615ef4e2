import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** The handler file of a function under `functions/`. */
export const functionEntry = (name: string): string => join(root, 'functions', name, 'handler.ts');
