// The stub's socket: a Unix socket path, and Ctrl-C over a real connection
// stopping a forward run between slices (the event loop reads the socket
// between them).
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Machine } from '../../core/machine.js';
import { bootKernel } from '../../core/firmware/boot.js';
import { selftestImage } from '../../guests/selftest/index.js';
import { DebugSession } from '../../replay/debugSession.js';
import { serveGdb, gdbCommand } from './server.js';
import { PacketParser, frame } from './packets.js';

const dir = mkdtempSync(join(tmpdir(), 'hvrr-gdbsock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gdb server', () => {
  it('serves a Unix socket; Ctrl-C stops a live continue; detach ends the session', async () => {
    const m = new Machine({ numCpus: 1, ramBytes: 64 << 20, seed: 1n });
    bootKernel(m, { kernel: selftestImage() });
    const session = new DebugSession(m, null);
    const path = join(dir, 'gdb.sock');
    let where: { path?: string } = {};
    const served = serveGdb(session, { listen: path, slice: 10, onListening: (w) => { where = w; } });
    await new Promise((r) => setTimeout(r, 50));
    expect(where.path).toBe(path);
    expect(gdbCommand({ path })).toContain(`target remote ${path}`);
    const sock = connect(path);
    const parser = new PacketParser();
    const packets: string[] = [];
    let wake: (() => void) | null = null;
    sock.on('data', (d: Buffer) => {
      for (const x of parser.push(d.toString('latin1'))) if (x.kind === 'packet') packets.push(x.payload);
      wake?.();
    });
    const next = async (): Promise<string> => {
      while (packets.length === 0) await new Promise<void>((r) => { wake = r; });
      return packets.shift()!;
    };
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(frame('QStartNoAckMode'));
    expect(await next()).toBe('OK');
    sock.write(frame('vCont;c'));
    await new Promise((r) => setTimeout(r, 20));
    sock.write('\x03');
    expect(await next()).toBe('T02thread:1;');
    expect(m.instructions % 10).toBe(0); // stopped at a slice end, long before the guest powers off
    expect(m.instructions).toBeGreaterThan(0);
    sock.write(frame('D'));
    expect(await next()).toBe('OK');
    await served;
    sock.destroy();
  }, 60_000);
});
