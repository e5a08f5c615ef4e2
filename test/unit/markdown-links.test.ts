/**
 * Every link in the repository's Markdown must work for someone who cloned it: a relative link (or
 * image) points at a file or folder the repository has, an anchor into a Markdown file names one of its
 * headings, nothing points outside the repository (`../shared/…`, `file:`), and web links are https.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What checking a file's links needs to know of the repository. */
interface Repository {
  /** Repository-relative paths (`/`-separated) of every file a clone has. */
  readonly files: ReadonlySet<string>;
  /** The Markdown text of a repository file, for its headings; undefined when it has none. */
  readonly markdown: (file: string) => string | undefined;
}

interface Link {
  readonly line: number;
  readonly target: string;
}

/** One broken link: where it is and why. */
interface LinkProblem {
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly problem: string;
}

/** Lines inside fenced code blocks blanked (line numbers kept): code shows links, it does not make them. */
const withoutFences = (markdown: string): string[] => {
  let fence: { readonly char: string; readonly length: number } | undefined;
  return markdown.split(/\r?\n/).map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (marker === undefined) return line;
      fence = { char: marker.charAt(0), length: marker.length };
      return '';
    }
    if (
      marker !== undefined &&
      marker.charAt(0) === fence.char &&
      marker.length >= fence.length &&
      /^\s*[`~]+\s*$/.test(line)
    ) {
      fence = undefined;
    }
    return '';
  });
};

const blank = (text: string): string => text.replace(/[^\n]/g, ' ');

/** The prose of a Markdown text: no code blocks, code spans or HTML comments (line numbers kept). */
const proseOf = (markdown: string): string =>
  withoutFences(markdown)
    .join('\n')
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/(`+)(?!`)(?:(?!\n\s*\n)[\s\S])*?[^`]\1(?!`)/g, blank);

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Inline links and images, reference definitions and HTML `href`/`src`, with their lines. */
const linksIn = (markdown: string): Link[] => {
  const prose = proseOf(markdown);
  const links: Link[] = [];
  const patterns = [
    // [text](target "title") and ![alt](target): the text may hold one level of brackets.
    /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g,
    // [label]: target
    /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm,
    /<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']+)["']/gi,
  ];
  for (const pattern of patterns) {
    for (const match of prose.matchAll(pattern)) {
      const target = (match[1] ?? '').replace(/^<(.*)>$/, '$1');
      if (target !== '') links.push({ line: lineAt(prose, match.index), target });
    }
  }
  return links.sort((a, b) => a.line - b.line);
};

/** A heading's anchor as GitHub makes it: lower-case, punctuation dropped, spaces as hyphens. */
const slugOf = (heading: string): string =>
  heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');

/** Every anchor a Markdown file has: its headings' (`-1`, `-2` for repeats) and explicit `id`/`name`s. */
const anchorsOf = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown)) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of markdown.matchAll(/<[a-z]+\b[^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) {
    anchors.add((match[1] ?? '').toLowerCase());
  }
  return anchors;
};

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Why a link from `file` (repository-relative, its text `own`) does not work, or undefined when it
 * does.
 */
const problemOf = (file: string, own: string, target: string, repository: Repository): string | undefined => {
  const scheme = SCHEME.exec(target)?.[1]?.toLowerCase();
  if (scheme === 'https' || scheme === 'mailto') return undefined;
  if (scheme !== undefined || target.startsWith('//')) {
    return 'not a relative link nor an https:// page';
  }
  const hashAt = target.indexOf('#');
  const pathPart = (hashAt < 0 ? target : target.slice(0, hashAt)).replace(/\?.*$/, '');
  const anchor = hashAt < 0 ? '' : target.slice(hashAt + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    return 'not a valid URL path';
  }
  const resolved =
    decoded === ''
      ? file
      : path.posix.normalize(
          decoded.startsWith('/') ? decoded.slice(1) : path.posix.join(path.posix.dirname(file), decoded),
        );
  const inside = resolved.replace(/\/+$/, '');
  if (inside === '..' || inside.startsWith('../') || path.posix.isAbsolute(inside)) {
    return 'points outside the repository';
  }
  const isFile = inside === file || repository.files.has(inside);
  const isFolder =
    inside === '.' || inside === '' || [...repository.files].some((known) => known.startsWith(`${inside}/`));
  if (!isFile && !isFolder) return `${inside} does not exist in the repository`;
  if (anchor === '' || !isFile || !inside.toLowerCase().endsWith('.md')) return undefined;
  const markdown = inside === file ? own : repository.markdown(inside);
  if (markdown === undefined) return undefined;
  let wanted: string;
  try {
    wanted = decodeURIComponent(anchor).toLowerCase();
  } catch {
    return `#${anchor} is not a valid anchor`;
  }
  return anchorsOf(markdown).has(wanted) ? undefined : `${inside} has no heading for #${anchor}`;
};

/** The broken links of one Markdown file (`file` is repository-relative). */
const checkMarkdown = (file: string, markdown: string, repository: Repository): LinkProblem[] =>
  linksIn(markdown).flatMap(({ line, target }) => {
    const problem = problemOf(file, markdown, target, repository);
    return problem === undefined ? [] : [{ file, line, target, problem }];
  });

/** The files a clone has: tracked ones, and new ones git does not ignore (written, not committed yet). */
const repositoryFiles = (): Set<string> =>
  new Set(
    execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\0')
      .filter((file) => file !== '' && existsSync(path.join(ROOT, file))),
  );

const readRepositoryMarkdown = (file: string): string | undefined =>
  file.toLowerCase().endsWith('.md') ? readFileSync(path.join(ROOT, file), 'utf8') : undefined;

const format = (problems: readonly LinkProblem[]): string[] =>
  problems.map(({ file, line, target, problem }) => `${file}:${line} (${target}): ${problem}`);

describe("the repository's Markdown links", () => {
  const files = repositoryFiles();
  const repository: Repository = { files, markdown: readRepositoryMarkdown };
  const markdownFiles = [...files].filter((file) => file.toLowerCase().endsWith('.md')).sort();

  it('reads the Markdown files and their links', () => {
    const links = markdownFiles.flatMap((file) => linksIn(readFileSync(path.join(ROOT, file), 'utf8')));

    expect(markdownFiles).toContain('README.md');
    expect(links.length).toBeGreaterThan(0);
  });

  it('point at files, folders and headings the repository has, or at https pages', () => {
    const problems = markdownFiles.flatMap((file) =>
      checkMarkdown(file, readFileSync(path.join(ROOT, file), 'utf8'), repository),
    );

    expect(format(problems)).toEqual([]);
  });
});

describe('the Markdown link check', () => {
  const repository: Repository = {
    files: new Set(['README.md', 'docs/events.md', 'docs/images/flow.png', 'shared/domain/event.ts']),
    markdown: (file) =>
      file === 'docs/events.md' ? '# Events\n\n## The envelope\n\n### `POST /v1/events`\n' : undefined,
  };
  const problemsIn = (file: string, markdown: string) =>
    checkMarkdown(file, markdown, repository).map(({ line, target, problem }) => ({ line, target, problem }));

  it('accepts links to files, folders and headings that exist, and https pages', () => {
    // Prepare
    const markdown = [
      '# Docs',
      'See [events](events.md), [the envelope](events.md#the-envelope), [ingest](./events.md#post-v1events),',
      '![flow](images/flow.png "How it flows"), [code](../shared/domain/event.ts), [shared](/shared/domain/),',
      '[the top](#docs), [Standard Webhooks](https://www.standardwebhooks.com/) and <a href="../README.md">home</a>.',
      '[ref]: ../README.md',
    ].join('\n');

    // Act
    const problems = problemsIn('docs/README.md', markdown);

    // Assess
    expect(problems).toEqual([]);
  });

  it('reports a link to a file that does not exist', () => {
    const problems = problemsIn('docs/README.md', 'The [admin API](admin-api.md) and ![a chart](chart.png).');

    expect(problems).toEqual([
      { line: 1, target: 'admin-api.md', problem: 'docs/admin-api.md does not exist in the repository' },
      { line: 1, target: 'chart.png', problem: 'docs/chart.png does not exist in the repository' },
    ]);
  });

  it('reports a link that leaves the repository', () => {
    const problems = problemsIn(
      'README.md',
      'The contract: [SPEC](../shared/SPEC.md).\n\n[x]: file:///etc/hosts',
    );

    expect(problems).toEqual([
      { line: 1, target: '../shared/SPEC.md', problem: 'points outside the repository' },
      { line: 3, target: 'file:///etc/hosts', problem: 'not a relative link nor an https:// page' },
    ]);
  });

  it('reports a plain http:// link', () => {
    const problems = problemsIn('README.md', 'See [the site](http://example.com/).');

    expect(problems.map(({ problem }) => problem)).toEqual(['not a relative link nor an https:// page']);
  });

  it('reports an anchor that names no heading', () => {
    const problems = problemsIn('README.md', 'See [ingest](docs/events.md#ingest) and [here](#nowhere).');

    expect(problems).toEqual([
      { line: 1, target: 'docs/events.md#ingest', problem: 'docs/events.md has no heading for #ingest' },
      { line: 1, target: '#nowhere', problem: 'README.md has no heading for #nowhere' },
    ]);
  });

  it('ignores links shown in code blocks and code spans', () => {
    const markdown = ['```md', '[missing](missing.md)', '```', 'Write `[text](missing.md)` for a link.'].join(
      '\n',
    );

    expect(problemsIn('README.md', markdown)).toEqual([]);
  });
});
