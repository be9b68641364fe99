// GDB Remote Serial Protocol framing: `$payload#cs` with a modulo-256
// checksum, `}`-escaping of binary data, acks, and the interrupt byte 0x03
// between packets. Strings are Latin-1: one character per byte.

/** Two lower-case hex digits of the payload's checksum. */
export function checksum(payload: string): string {
  let s = 0;
  for (let i = 0; i < payload.length; i++) s = (s + payload.charCodeAt(i)) & 0xff;
  return s.toString(16).padStart(2, '0');
}

/** A packet as sent on the wire. */
export function frame(payload: string): string {
  return `$${payload}#${checksum(payload)}`;
}

/** Escape binary data for a packet (`#`, `$`, `}` and `*` become `}` and the byte xor 0x20). */
export function escapeBinary(data: string): string {
  return data.replace(/[#$}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export function unescapeBinary(data: string): string {
  return data.replace(/\}([\s\S])/g, (_m, c: string) => String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function hexText(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

export function fromHexText(hex: string): string {
  return Buffer.from(hex, 'hex').toString('latin1');
}

/** A little-endian hex image of an unsigned value of `bytes` bytes (gdb's register format). */
export function leHex(v: bigint, bytes: number): string {
  let out = '';
  let x = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) {
    out += Number(x & 0xffn).toString(16).padStart(2, '0');
    x >>= 8n;
  }
  return out;
}

export function parseLeHex(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/** What the parser found in the byte stream. */
export type Incoming = { kind: 'packet'; payload: string } | { kind: 'bad-checksum' } | { kind: 'interrupt' } | { kind: 'ack' } | { kind: 'nak' };

/** Splits a byte stream into packets, acks and interrupts; keeps partial packets across chunks. */
export class PacketParser {
  private buf = '';

  push(chunk: string): Incoming[] {
    this.buf += chunk;
    const out: Incoming[] = [];
    for (;;) {
      if (this.buf.length === 0) break;
      const c = this.buf[0]!;
      if (c === '$') {
        const hash = this.buf.indexOf('#');
        if (hash < 0 || this.buf.length < hash + 3) break;
        const payload = this.buf.slice(1, hash);
        const cs = this.buf.slice(hash + 1, hash + 3).toLowerCase();
        this.buf = this.buf.slice(hash + 3);
        out.push(cs === checksum(payload) ? { kind: 'packet', payload } : { kind: 'bad-checksum' });
        continue;
      }
      this.buf = this.buf.slice(1);
      if (c === '\x03') out.push({ kind: 'interrupt' });
      else if (c === '+') out.push({ kind: 'ack' });
      else if (c === '-') out.push({ kind: 'nak' });
      // anything else between packets is line noise
    }
    return out;
  }
}
