/** What the CLI prints: plain tables for people, the API's JSON with `--json`, progress on a TTY. */

/** Somewhere to write text (stdout, stderr, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface Io {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
}

/** One table column: a header and how to read the cell from a row. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => unknown;
  /** Right-align (numbers). */
  readonly align?: 'left' | 'right';
}

const EMPTY_CELL = '-';

/** A cell as text: `-` for nothing, lists joined with commas, objects as compact JSON. */
export const cellText = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return EMPTY_CELL;
  if (typeof value === 'string') return value.replace(/[\r\n\t]+/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.length === 0 ? EMPTY_CELL : value.map(cellText).join(',');
  return JSON.stringify(value);
};

/** Display width, counting each code point as one column (good enough for ids, URLs and dates). */
const width = (text: string): number => [...text].length;

/** Formats rows as a left-aligned, space-separated table with an upper-case header line. */
export const formatTable = <Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string => {
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, index) =>
    Math.max(width(header), ...cells.map((line) => width(line[index] ?? ''))),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, index) => {
        const pad = ' '.repeat((widths[index] ?? 0) - width(cell));
        if (index === line.length - 1 && columns[index]?.align !== 'right') return cell;
        return columns[index]?.align === 'right' ? `${pad}${cell}` : `${cell}${pad}`;
      })
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
};

/** Key/value lines for one resource (`get` commands). */
export const formatFields = (fields: readonly (readonly [string, unknown])[]): string => {
  const labelWidth = Math.max(0, ...fields.map(([label]) => width(label)));
  return fields
    .map(([label, value]) => `${`${label}:`.padEnd(labelWidth + 1)}  ${cellText(value)}`)
    .join('\n');
};

/** Writes to the CLI's streams, and knows whether `--json` was asked for. */
export class Output {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A line (or block) on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A value as pretty JSON on stdout. */
  printJson(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  /** A table, or `(none)` when there are no rows. */
  table<Row>(rows: readonly Row[], columns: readonly Column<Row>[], empty = '(none)'): void {
    this.line(rows.length === 0 ? empty : formatTable(rows, columns));
  }

  /** A note for people on stderr (warnings, hints): never mixed into `--json` output. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Runs `task` with a spinner on stderr when stderr is a terminal; silent otherwise. */
  progress<T>(label: string, task: () => Promise<T>): Promise<T> {
    return withProgress(this.io.stderr, label, task);
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
const SPINNER_INTERVAL_MS = 80;

/** A spinner with `label` on a TTY while `task` runs, erased afterwards. */
export const withProgress = async <T>(
  stream: TextSink,
  label: string,
  task: () => Promise<T>,
): Promise<T> => {
  if (stream.isTTY !== true) return task();
  let frame = 0;
  const draw = () => {
    stream.write(`\r${SPINNER[frame % SPINNER.length] ?? '…'} ${label}…`);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, SPINNER_INTERVAL_MS);
  try {
    return await task();
  } finally {
    clearInterval(timer);
    stream.write('\r\u001b[2K');
  }
};
