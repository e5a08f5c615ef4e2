/** One line of the `npm run bench` table: a figure beside its baseline and its target. */
export interface Row {
  readonly figure: string;
  readonly measured: string;
  /** What the same job costs without Herald (or the old way), measured in the same run. */
  readonly baseline: string;
  readonly target: string;
  /** Whether the target holds; undefined for a figure with no target. */
  readonly holds: boolean | undefined;
}

const verdict = (holds: boolean | undefined) => (holds === undefined ? '' : holds ? 'yes' : 'NO');

/** The rows as a Markdown table (what the README shows). */
export const markdownTable = (rows: readonly Row[]): string => {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| figure | measured | baseline | target | holds |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${cell(row.figure)} | ${cell(row.measured)} | ${cell(row.baseline)} | ${cell(row.target)} | ${verdict(row.holds)} |`,
    ),
  ].join('\n');
};
