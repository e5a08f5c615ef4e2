import type { z } from 'zod';
import type { FieldIssue } from './errors.ts';

/** Turns zod issues into Herald field issues with dotted paths. */
export const toFieldIssues = (error: z.ZodError, index?: number): FieldIssue[] =>
  error.issues.map((issue) => ({
    ...(index === undefined ? {} : { index }),
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
