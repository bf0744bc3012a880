/** Column readers shared by the SQLite table modules (rows come back untyped from better-sqlite3). */
export type Row = Record<string, unknown>;

/** A nullable integer column. */
export const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
/** A nullable text column. */
export const nullableString = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
/** A JSON text column (null when absent). */
export const jsonColumn = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : null);
