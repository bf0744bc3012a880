/** Column readers the PostgreSQL table modules share (beyond the SQLite ones in `../sqlite/rows.ts`). */

/** A BYTEA column read back as UTF-8 text (`''` when null); the worker hands bytes over as a Uint8Array. */
export function byteaText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return value === null || value === undefined ? '' : String(value);
}

/** A nullable BYTEA column read back as UTF-8 text. */
export const nullableByteaText = (value: unknown): string | null => (value === null || value === undefined ? null : byteaText(value));

/** Text as the bytes of a BYTEA parameter (UTF-8; PostgreSQL TEXT would refuse a NUL). */
export const textBytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** {@link textBytes} of a nullable value. */
export const nullableTextBytes = (text: string | null | undefined): Buffer | null =>
  text === null || text === undefined ? null : textBytes(text);

/**
 * This connection's node (cluster mode), or NULL for a single gateway: rows a node writes carry it
 * by default (migration 2), and a node reads back only its own where rows are node-affine.
 */
export const THIS_NODE = "NULLIF(current_setting('pincer.node_id', true), '')";

/** The SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';
