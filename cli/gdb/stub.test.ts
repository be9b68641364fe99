// The gdb stub against a fake transport: the packet codec, and each command
// on a recorded self-test (2 CPUs, bare metal).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing.js';
import { machineForRecording } from '../commands/record.js';
import { TraceReader } from '../../replay/traceFile.js';
import { DebugSession } from '../../replay/debugSession.js';
import { GdbStub } from './stub.js';
import { PacketParser, checksum, escapeBinary, frame, fromHexText, hexText, leHex, parseLeHex, unescapeBinary } from './packets.js';
import { extractGdbOption } from './cli.js';

describe('packet codec', () => {
  it('frames with a modulo-256 checksum and parses split, noisy, interrupted streams', () => {
    expect(checksum('')).toBe('00');
    expect(frame('OK')).toBe('$OK#9a');
    const p = new PacketParser();
    expect(p.push('+$qSupp')).toEqual([{ kind: 'ack' }]);
    expect(p.push('orted#37\x03$g#67$g#00-')).toEqual([{ kind: 'packet', payload: 'qSupported' }, { kind: 'interrupt' }, { kind: 'packet', payload: 'g' }, { kind: 'bad-checksum' }, { kind: 'nak' }]);
  });

  it('escapes binary data and hex images round trip', () => {
    const raw = 'a#b$c}d*e\x00\xff';
    expect(escapeBinary(raw)).not.toMatch(/[#$*]/);
    expect(unescapeBinary(escapeBinary(raw))).toBe(raw);
    expect(leHex(0x1122334455667788n, 8)).toBe('8877665544332211');
    expect(parseLeHex('8877665544332211')).toBe(0x1122334455667788n);
    expect(fromHexText(hexText('when\n'))).toBe('when\n');
  });

  it('--gdb takes an optional port or socket path', () => {
    expect(extractGdbOption(['t.hvrr', '--gdb'])).toEqual({ argv: ['t.hvrr'], listen: 1234 });
    expect(extractGdbOption(['--gdb', '4000', 't'])).toEqual({ argv: ['t'], listen: 4000 });
    expect(extractGdbOption(['--gdb=/tmp/s.sock'])).toEqual({ argv: [], listen: '/tmp/s.sock' });
    expect(() => extractGdbOption(['--gdb=zz'])).toThrow(/port or a Unix socket/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'hvrr-gdbstub-'));
const trace = join(dir, 'selftest.hvrr');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const r = await runCli(['record', 'selftest', '--bare', '-o', trace, '--smp', '2', '--mem', '32M', '--seed', '7', '--snapshot-every', '200000']);
  expect(r.code, r.err).toBe(0);
}, 120_000);

/** A stub over a fake transport; `ask` sends one packet and returns the replies (a run is pumped to its stop). */
function connect(opts: { live?: boolean; slice?: number } = {}) {
  const reader = TraceReader.open(trace);
  const m = machineForRecording(reader.header, trace);
  const recording = { reader, snapshots: reader };
  const session = new DebugSession(m, opts.live ? null : recording);
  let out = '';
  let closed = false;
  const stub = new GdbStub(session, { write: (d) => { out += d; }, close: () => { closed = true; } }, { slice: opts.slice ?? 1_000_000, ...(opts.live ? {} : { recording }) });
  const replies = (): string[] => {
    const r: string[] = [];
    for (const x of new PacketParser().push(out)) if (x.kind === 'packet') r.push(x.payload);
    out = '';
    return r;
  };
  const ask = (payload: string, pump = true): string[] => {
    stub.receive(frame(payload));
    while (pump && stub.isRunning) stub.pump();
    return replies();
  };
  const one = (payload: string): string => {
    const r = ask(payload);
    expect(r.length, `${payload} -> ${JSON.stringify(r)}`).toBe(1);
    return r[0]!;
  };
  stub.receive(frame('QStartNoAckMode'));
  out = '';
  return { stub, session, m, ask, one, replies, isClosed: () => closed, raw: (s: string) => stub.receive(s) };
}

const reg = (hex: string): bigint => parseLeHex(hex);

describe('gdb stub commands', () => {
  it('handshake: features, threads, the target description, registers', () => {
    const g = connect();
    expect(g.one('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386')).toContain('ReverseContinue+');
    expect(g.one('?')).toBe('T05thread:1;');
    expect(g.one('qfThreadInfo')).toBe('m1,2');
    expect(g.one('qsThreadInfo')).toBe('l');
    let xml = '';
    for (let off = 0; ; off += 0x400) {
      const r = g.one(`qXfer:features:read:target.xml:${off.toString(16)},400`);
      xml += unescapeBinary(r.slice(1));
      if (r[0] === 'l') break;
    }
    expect(xml).toContain('<feature name="org.gnu.gdb.aarch64.core">');
    expect(xml).toContain('<feature name="org.gnu.gdb.aarch64.fpu">');
    expect(xml).toContain('name="SCTLR_EL1"');
    const regs = [...xml.matchAll(/bitsize="(\d+)"[^>]*regnum="(\d+)"/g)];
    const bytes = regs.reduce((s, x) => s + Number(x[1]) / 8, 0);
    expect(g.one('g').length).toBe(bytes * 2);
    expect(reg(g.one('p20'))).toBe(g.m.core.getPc(0)); // regnum 32 = pc
    expect(g.one('Hg2')).toBe('OK');
    expect(reg(g.one('p20'))).toBe(g.m.core.getPc(1));
    expect(g.one('P0=0100000000000000')).toBe('E01'); // replay refuses writes
    expect(g.one('vCont?')).toBe('vCont;c;C;s;S');
  });

  it('stepi, a breakpoint, continue, reverse-stepi and reverse-continue, exact to the instruction', () => {
    const g = connect();
    g.one('qSupported:swbreak+;hwbreak+');
    expect(g.one('vCont;s:1')).toBe('T05thread:1;');
    expect(g.session.position).toBe(1);
    for (let i = 0; i < 2000; i++) g.ask('vCont;s:1');
    const pc = g.m.core.getPc(0);
    const at = g.session.position;
    expect(g.one(`Z0,${pc.toString(16)},4`)).toBe('OK');
    // A breakpoint at the current pc hits at once (gdb steps over it itself before continuing).
    expect(g.one('vCont;c')).toMatch(/^T05swbreak:;thread:1;$/);
    expect(g.session.position).toBe(at);
    g.one(`z0,${pc.toString(16)},4`);
    g.one('vCont;s:1');
    g.one(`Z0,${pc.toString(16)},4`);
    expect(g.one('vCont;c')).toMatch(/^T05swbreak:;thread:[12];$/);
    const first = g.session.position;
    expect(first).toBeGreaterThan(at);
    expect(g.one('vCont;c')).toMatch(/^T05swbreak:;thread:[12];$/);
    const second = g.session.position;
    expect(second).toBeGreaterThan(first);
    // Reverse: the previous hit, then the one before (where we set it: it is not a hit), then the start.
    expect(g.one('bc')).toMatch(/^T05swbreak:;thread:/);
    expect(g.session.position).toBe(first);
    expect(g.one('Hc1')).toBe('OK');
    expect(g.one('bs')).toBe('T05thread:1;');
    expect(g.session.position).toBeLessThan(first);
    expect(g.one('z0,' + pc.toString(16) + ',4')).toBe('OK');
    expect(g.one('bc')).toBe('T05replaylog:begin;thread:1;');
    expect(g.session.position).toBe(0);
  });

  it('memory by virtual and physical address; writes refused in replay; watchpoints report the address', () => {
    const g = connect();
    g.one('qSupported:swbreak+');
    for (let i = 0; i < 3000; i++) g.ask('vCont;s:1');
    const pc = g.m.core.getPc(0);
    const word = g.one(`m${pc.toString(16)},4`);
    expect(word).toMatch(/^[0-9a-f]{8}$/);
    expect(g.ask('qRcmd,' + hexText('phys on')).at(-1)).toBe('OK');
    expect(g.one(`m${(g.m.core.ramPa + 0x100).toString(16)},4`)).toMatch(/^[0-9a-f]{8}$/);
    g.ask('qRcmd,' + hexText('phys off'));
    expect(g.one(`M${pc.toString(16)},4:00000000`)).toBe('E01');
    expect(g.one('mffffffffffff0000,4')).toBe('E14');
    // Watch the stack slot the guest writes next: find a written word by running on in a scratch session.
    const sp = g.m.core.getSp(0);
    expect(g.one(`Z2,${(sp - 16n).toString(16)},8`)).toMatch(/^(OK|E14)$/);
    const r = g.one('vCont;c');
    expect(r).toMatch(/^T05(watch:[0-9a-f]+;|replaylog:end;)thread:[12];$/);
  });

  it('Ctrl-C stops a forward run between slices', () => {
    const g = connect({ slice: 1000 });
    g.ask('vCont;c', false);
    expect(g.stub.isRunning).toBe(true);
    g.stub.pump();
    g.raw('\x03');
    g.stub.pump();
    expect(g.stub.isRunning).toBe(false);
    expect(g.replies()).toEqual(['T02thread:1;']);
    expect(g.session.position).toBe(1000);
  });

  it('monitor when / events / seek', () => {
    const g = connect();
    const text = (rs: string[]): string => rs.filter((x) => x[0] === 'O').map((x) => fromHexText(x.slice(1))).join('');
    const w = g.ask('qRcmd,' + hexText('when'));
    expect(w.at(-1)).toBe('OK');
    expect(text(w)).toMatch(/^instructions 0 /);
    const s = text(g.ask('qRcmd,' + hexText('seek exception 3')));
    expect(s).toContain('maint flush register-cache');
    expect(g.session.position).toBeGreaterThan(0);
    expect(text(g.ask('qRcmd,' + hexText('events 2')))).toContain('exception n=3');
    expect(text(g.ask('qRcmd,' + hexText('seek insn 500')))).toMatch(/^instructions 500 /);
    expect(text(g.ask('qRcmd,' + hexText('bogus')))).toContain('unknown monitor command');
  });

  it('a live session runs forward only', () => {
    const g = connect({ live: true });
    expect(g.one('qSupported')).not.toContain('Reverse');
    expect(g.one('bs')).toBe('');
    expect(g.one('vCont;s:1')).toBe('T05thread:1;');
    expect(g.one('P0=0100000000000000')).toBe('OK');
    expect(g.m.core.getX(0, 0)).toBe(1n);
    g.ask('D');
    expect(g.isClosed()).toBe(true);
  });
});

describe('gdb stub under the hypervisor', () => {
  /** A stub over a recording of the self-test as a VM of 2 vCPUs on 1 pCPU. */
  async function hvStub(): Promise<{ session: DebugSession; ask: (p: string) => string }> {
    const t = join(dir, 'hv.hvrr');
    const r = await runCli(['record', 'selftest', '-o', t, '--smp', '2', '--pcpus', '1', '--mem', '32M', '--seed', '3']);
    expect(r.code, r.err).toBe(0);
    const reader = TraceReader.open(t);
    const session = new DebugSession(machineForRecording(reader.header, t), { reader, snapshots: reader });
    let out = '';
    const stub = new GdbStub(session, { write: (d) => { out += d; }, close: () => {} });
    const ask = (p: string): string => {
      out = '';
      stub.receive(frame(p));
      return (new PacketParser().push(out).find((x) => x.kind === 'packet') as { payload: string }).payload;
    };
    return { session, ask };
  }
  type Hv = { pcpus: Array<{ loaded: [number, number] | null }>; vms: Array<{ vcpus: Array<{ run: string; ctx: { pc: string; x: string[] } | null }> }> };
  const hvOf = (session: DebugSession): Hv => session.machine.component('hypervisor').getState() as Hv;

  it('each vCPU is a thread: a saved one shows the context the hypervisor keeps, its memory read in its own regime', async () => {
    const { session, ask } = await hvStub();
    // Forward until vCPU 1, started, is saved (vCPU 0 on the pCPU at EL1).
    let at = 200_000;
    for (; at < 3_000_000; at += 50_000) {
      session.goTo(at);
      const hv = hvOf(session);
      const v1 = hv.vms[0]!.vcpus[1]!;
      if (hv.pcpus[0]!.loaded?.[1] === 0 && v1.ctx !== null && v1.run !== 'off' && session.machine.core.el(0) === 1) break;
    }
    expect(at).toBeLessThan(3_000_000);
    expect(ask('qfThreadInfo')).toBe('m1,2,3');
    expect(fromHexText(ask('qThreadExtraInfo,1'))).toMatch(/^cpu0 running EL1 vm0 vcpu0$/);
    expect(fromHexText(ask('qThreadExtraInfo,2'))).toMatch(/^vm0 vcpu0 [\w-]+ running on cpu0$/);
    expect(fromHexText(ask('qThreadExtraInfo,3'))).toMatch(/^vm0 vcpu1 [\w-]+ saved, on cpu0's run queue$/);
    const ctx = hvOf(session).vms[0]!.vcpus[1]!.ctx!;
    expect(ask('Hg3')).toBe('OK');
    expect(parseLeHex(ask('p20'))).toBe(BigInt(ctx.pc)); // register 32: pc
    expect(parseLeHex(ask('p1'))).toBe(BigInt(ctx.x[1]!));
    expect(ask('g').length).toBeGreaterThan(33 * 16);
    const pc = BigInt(ctx.pc);
    const savedWord = ask(`m${pc.toString(16)},4`);
    expect(savedWord).toMatch(/^[0-9a-f]{8}$/);
    // The loaded vCPU's thread is its pCPU's registers.
    expect(ask('Hg2')).toBe('OK');
    const livePc = ask('p20');
    expect(ask('Hg1')).toBe('OK');
    expect(ask('p20')).toBe(livePc);
    // vCPU 1's entry (its MMU off: an IPA) through the VM's Stage 2 is the word the pCPU,
    // running vCPU 0 of the same VM, reads there.
    expect(BigInt(hvOf(session).vms[0]!.vcpus[1]!.ctx!.pc)).toBe(pc);
    expect(ask('Hg1')).toBe('OK');
    expect(ask(`m${pc.toString(16)},4`)).toBe(savedWord);
    // A saved vCPU's registers are the hypervisor's record: not writable (nor anything in a replay).
    expect(ask('Hg3')).toBe('OK');
    expect(ask('P1=0100000000000000')).toBe('E01');
    expect(ask('Hg99')).toBe('E22');
  }, 180_000);
});
