/**
 * Host input for a 16550A, as QEMU's chardev front end feeds `serial_receive1`:
 * bytes wait here until the UART can take them (`serial_can_receive`) and are
 * offered again whenever the guest reads RBR (`qemu_chr_fe_accept_input`).
 * Isomorphic: the Node side (stdin, sockets) only calls `push`.
 */
import { uartCanReceive, uartReceive, type UartState } from '../piix4/uart-16550.js';

export class SerialInput {
  private buf = new Uint8Array(256);
  private head = 0;
  private tail = 0;

  constructor(private readonly uart: UartState) {
    uart.onAcceptInput = () => this.drain();
  }

  /** Bytes not yet taken by the UART. */
  get pending(): number {
    return this.tail - this.head;
  }

  push(bytes: Uint8Array): void {
    if (this.tail + bytes.length > this.buf.length) {
      const live = this.buf.subarray(this.head, this.tail);
      const n = new Uint8Array(Math.max(this.buf.length, (live.length + bytes.length) * 2));
      n.set(live);
      this.buf = n;
      this.tail -= this.head;
      this.head = 0;
    }
    this.buf.set(bytes, this.tail);
    this.tail += bytes.length;
    this.drain();
  }

  /** Hand the UART as many bytes as it says it can take now. */
  drain(): void {
    let room = uartCanReceive(this.uart);
    while (room > 0 && this.head < this.tail) {
      uartReceive(this.uart, this.buf[this.head++]!);
      room--;
      if (room === 0) room = uartCanReceive(this.uart);
    }
    if (this.head === this.tail) this.head = this.tail = 0;
  }
}
