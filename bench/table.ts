export interface Column {
  title: string;
  align?: 'left' | 'right';
}

/** A plain-text table (GitHub-flavoured Markdown, so it can be pasted into the README). */
export function formatTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>) {
  const widths = columns.map((column, index) =>
    Math.max(column.title.length, 3, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        const width = widths[index] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = `| ${columns
    .map((column, index) => {
      const dashes = '-'.repeat(widths[index] ?? 3);
      return column.align === 'right' ? `${dashes.slice(1)}:` : dashes;
    })
    .join(' | ')} |`;
  return [line(columns.map((column) => column.title)), rule, ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals, or a dash when there is nothing to show. */
export function num(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
