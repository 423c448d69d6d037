/**
 * The one error type the table codecs throw. `offset` is the byte offset inside the table (or the buffer
 * being scanned) where the problem was found, so a message always says where to look.
 */
export class AcpiError extends Error {
  override name = 'AcpiError';
  constructor(
    message: string,
    readonly offset?: number,
    readonly table?: string,
  ) {
    super(`${table ? `${table}: ` : ''}${message}${offset !== undefined ? ` (at offset 0x${offset.toString(16)})` : ''}`);
  }
}
