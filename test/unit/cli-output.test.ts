import { describe, expect, it } from 'vitest';
import { cellText, formatFields, formatTable, type TextSink, withProgress } from '../../cli/output.ts';

describe('formatTable', () => {
  it('aligns columns under upper-case headers, two spaces apart, without trailing blanks', () => {
    // Prepare
    const rows = [
      { id: 'ops-webhook', enabled: true, events: ['deploy.*', 'build.*'] },
      { id: 'x', enabled: false, events: undefined },
    ];

    // Act
    const table = formatTable(rows, [
      { header: 'id', value: (row) => row.id },
      { header: 'enabled', value: (row) => row.enabled },
      { header: 'events', value: (row) => row.events },
    ]);

    // Assess
    expect(table.split('\n')).toEqual([
      'ID           ENABLED  EVENTS',
      'ops-webhook  true     deploy.*,build.*',
      'x            false    -',
    ]);
  });

  it('right-aligns numeric columns', () => {
    // Act
    const table = formatTable(
      [{ n: 1 }, { n: 120 }],
      [
        { header: 'attempts', value: (row) => row.n, align: 'right' },
        { header: 'x', value: () => 'y' },
      ],
    );

    // Assess
    expect(table.split('\n')).toEqual(['ATTEMPTS  X', '       1  y', '     120  y']);
  });

  it('prints just the header for no rows', () => {
    // Act
    const table = formatTable([], [{ header: 'id', value: () => 'never' }]);

    // Assess
    expect(table).toBe('ID');
  });
});

describe('cellText', () => {
  it('shows missing values as a dash and flattens line breaks', () => {
    // Assess
    expect([cellText(undefined), cellText(null), cellText(''), cellText([])]).toEqual(['-', '-', '-', '-']);
    expect(cellText('two\nlines')).toBe('two lines');
    expect(cellText({ maxAttempts: 5 })).toBe('{"maxAttempts":5}');
  });
});

describe('formatFields', () => {
  it('lines up values after their labels', () => {
    // Act
    const text = formatFields([
      ['id', 'ops'],
      ['description', undefined],
    ]);

    // Assess
    expect(text.split('\n')).toEqual(['id:           ops', 'description:  -']);
  });
});

describe('withProgress', () => {
  const sink = (isTTY: boolean): TextSink & { text: string } => {
    const state = {
      text: '',
      isTTY,
      write(chunk: string) {
        state.text += chunk;
        return true;
      },
    };
    return state;
  };

  it('writes nothing when the stream is not a terminal', async () => {
    // Prepare
    const stream = sink(false);

    // Act
    const result = await withProgress(stream, 'Planning', async () => 42);

    // Assess
    expect(result).toBe(42);
    expect(stream.text).toBe('');
  });

  it('shows the label on a terminal and erases it afterwards', async () => {
    // Prepare
    const stream = sink(true);

    // Act
    await withProgress(stream, 'Planning', async () => 'done');

    // Assess
    expect(stream.text).toContain('Planning…');
    expect(stream.text.endsWith('\r\u001b[2K')).toBe(true);
  });
});
