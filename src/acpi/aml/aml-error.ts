/** Malformed or truncated AML. `offset` is the table offset (AML offset + 36 inside a DSDT/SSDT). */
import { AcpiError } from '../tables/acpi-error.js';

export class AmlError extends AcpiError {
  override name = 'AmlError';
  constructor(message: string, override readonly offset: number) {
    super(message, offset, 'AML');
  }
}
