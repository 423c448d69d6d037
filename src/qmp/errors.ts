/** QMP error classes (qapi/error.json `QapiErrorClass`) and the error a command throws. */
export type QmpErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotActive' | 'DeviceNotFound' | 'KVMMissingCap';

export class QmpError extends Error {
  override name = 'QmpError';
  constructor(readonly errorClass: QmpErrorClass, readonly desc: string) {
    super(desc);
  }
}

export const genericError = (desc: string): QmpError => new QmpError('GenericError', desc);
