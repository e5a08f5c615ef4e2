/**
 * Reading YAML or JSON input files with every problem pinned to a line: syntax errors from the YAML
 * parser, schema errors by mapping the zod issue's path back to the node it came from.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type * as z from 'zod';

/** One problem in an input file. */
export interface FileProblem {
  /** 1-based line, when known. */
  readonly line: number | undefined;
  /** Dotted path of the offending field (`channels.0.config.url`); empty for the file itself. */
  readonly path: string;
  readonly message: string;
}

/** An input file that cannot be used as it is, with every problem found. */
export class FileError extends Error {
  override readonly name = 'FileError';

  constructor(
    readonly file: string,
    readonly problems: readonly FileProblem[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${file} is not valid (${count})`);
  }

  /** `herald.yaml:12: channels.0.config.url: url must be an https:// URL`, one per problem. */
  lines(): string[] {
    return this.problems.map((problem) => formatProblem(this.file, problem));
  }
}

export const formatProblem = (file: string, problem: FileProblem): string =>
  [problem.line === undefined ? file : `${file}:${problem.line}`, problem.path, problem.message]
    .filter((part) => part !== '')
    .join(': ');

/** A parsed file: the schema's output and the plain value as written. */
export interface ParsedFile<T> {
  readonly value: T;
  readonly raw: unknown;
}

type PathKey = PropertyKey;

interface Located {
  readonly node: Node | undefined;
  /** Offset where the deepest found part of the path starts. */
  readonly offset: number | undefined;
}

/** Finds the deepest node along `path`, falling back to the key of a pair whose value is empty. */
const locate = (root: Node | null, path: readonly PathKey[]): Located => {
  let node: unknown = root;
  let offset = root?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key),
      );
      if (pair === undefined) break;
      const keyNode = pair.key as Node | null;
      offset = keyNode?.range?.[0] ?? offset;
      node = pair.value;
      const valueStart = (pair.value as Node | null)?.range?.[0];
      // A nested block's own range starts on the next line; the key line reads better for collections.
      if (!(isMap(node) || isSeq(node)) && valueStart !== undefined) offset = valueStart;
      if (node === null) break;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)];
      if (item === undefined) break;
      node = item;
      offset = (item as Node).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return { node: node as Node | undefined, offset };
};

/** The offset of key `name` in the map at `path` (for "unknown field" problems). */
const locateKey = (root: Node | null, path: readonly PathKey[], name: string): number | undefined => {
  const { node } = locate(root, path);
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === name);
  return (pair?.key as Node | null | undefined)?.range?.[0];
};

const pathText = (path: readonly PathKey[]): string => path.map(String).join('.');

const firstLine = (message: string): string => message.split('\n')[0]?.trim() ?? message;

/**
 * Parses YAML (JSON is YAML too) and validates it against `schema`. Throws a {@link FileError}
 * naming the line of every syntax or schema problem.
 */
export const parseStructured = <S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
): ParsedFile<z.output<S>> => {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  if (document.errors.length > 0) {
    throw new FileError(
      file,
      document.errors.map((error) => ({
        line: lineAt(error.pos[0]),
        path: '',
        message: firstLine(error.message),
      })),
    );
  }
  const raw: unknown = document.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    throw new FileError(file, [{ line: 1, path: '', message: 'the file is empty' }]);
  }
  const result = schema.safeParse(raw);
  if (result.success) return { value: result.data, raw };
  const root = document.contents as Node | null;
  const problems = result.error.issues.map((issue): FileProblem => {
    if (issue.code === 'unrecognized_keys') {
      const [key] = issue.keys;
      const offset = key === undefined ? locate(root, issue.path).offset : locateKey(root, issue.path, key);
      return {
        line: lineAt(offset ?? locate(root, issue.path).offset),
        path: pathText(key === undefined ? issue.path : [...issue.path, key]),
        message: issue.keys.length > 1 ? issue.message : 'unknown field',
      };
    }
    const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
    return {
      line: lineAt(locate(root, issue.path).offset),
      path: pathText(issue.path),
      message: missing ? 'required' : issue.message,
    };
  });
  // In file order, as an editor lists them.
  const byLine = dedupeProblems(problems).sort(
    (a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER),
  );
  throw new FileError(file, byLine);
};

const dedupeProblems = (problems: readonly FileProblem[]): FileProblem[] => {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.line}|${problem.path}|${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/** Reads an input file as text; a missing or unreadable file is a {@link FileError}. */
export const readInputFile = async (path: string): Promise<string> => {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const reason =
      cause instanceof Error && 'code' in cause && cause.code === 'ENOENT'
        ? 'no such file'
        : cause instanceof Error
          ? cause.message
          : String(cause);
    throw new FileError(path, [{ line: undefined, path: '', message: reason }]);
  }
};

/** Reads and parses a file from disk; problems name the file as it was given. */
export const readStructured = async <S extends z.ZodType>(
  path: string,
  schema: S,
): Promise<ParsedFile<z.output<S>>> => parseStructured(await readInputFile(path), path, schema);
