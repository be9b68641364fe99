import { describe, expect, it } from 'vitest';
import { cells, empty, node, prop, str, u64, type FdtNode } from '../fdt/tree.js';
import { writeFdt } from '../fdt/writer.js';
import { FFA_VERSION_1_1, FFA_VERSION_1_2 } from '../ffa/functionIds.js';
import { uuidFromText, uuidToText } from '../ffa/uuid.js';
import {
  MESSAGING_DIRECT_REQ2_RECV, MESSAGING_DIRECT_REQ_RECV, MESSAGING_DIRECT_REQ_SEND, MESSAGING_INDIRECT, ManifestError, REGION_EXECUTE, REGION_NON_SECURE,
  REGION_READ, REGION_WRITE, manifestTree, parseManifest, readManifest, writeManifest, type PartitionManifest,
} from './manifest.js';

const SAMPLE: PartitionManifest = {
  ffaVersion: FFA_VERSION_1_1,
  uuids: [uuidFromText('b4b5671e-4a90-4fe1-b81f-fb13dae1dacb')!, uuidFromText('d1582309-f023-47b9-827c-4464f5578fc8')!],
  messagingMethods: [MESSAGING_DIRECT_REQ_RECV | MESSAGING_DIRECT_REQ_SEND, MESSAGING_INDIRECT],
  id: 0x8002,
  description: 'sp2',
  executionContextCount: 4,
  exceptionLevel: 'S-EL1',
  executionState: 'AArch64',
  loadAddress: 0x0e40_0000n,
  entrypointOffset: 0x4000n,
  xlatGranule: 0x1000,
  bootOrder: 2,
  notificationSupport: true,
  nsInterruptsAction: 'managed-exit',
  managedExitVirq: false,
  memoryRegions: [
    { name: 'rx-tx', description: null, base: { kind: 'relative', offset: 0x10_0000n }, pageCount: 2, attributes: REGION_READ | REGION_WRITE },
    { name: 'shared', description: 'NS buffer', base: { kind: 'address', address: 0x7000_0000n }, pageCount: 4, attributes: REGION_READ | REGION_WRITE | REGION_NON_SECURE },
    { name: 'heap', description: null, base: { kind: 'any' }, pageCount: 8, attributes: REGION_READ | REGION_WRITE },
  ],
  deviceRegions: [
    { name: 'timer', description: null, address: 0x2a81_0000n, pageCount: 1, attributes: REGION_READ | REGION_WRITE, exclusiveAccess: true, interrupts: [{ id: 29, priority: 0x80, secure: true, level: true, type: 'PPI' }] },
    { name: 'uart', description: 'secure uart', address: 0x0904_0000n, pageCount: 1, attributes: REGION_READ | REGION_WRITE, exclusiveAccess: false, interrupts: [{ id: 40, priority: 0xa0, secure: true, level: false, type: 'SPI' }] },
  ],
};

/** The sample's tree with `edit` applied to the node at `path` ("/" or "/memory-regions/heap"). */
function edited(path: string, edit: (n: FdtNode) => FdtNode, m: PartitionManifest = SAMPLE): Uint8Array {
  const walk = (n: FdtNode, at: string): FdtNode => {
    const here = at === '' ? '/' : at;
    const children = n.children.map((c) => walk(c, `${at}/${c.name}`));
    const next = { ...n, children };
    return here === path ? edit(next) : next;
  };
  return writeFdt(walk(manifestTree(m), ''));
}

const setProp = (name: string, value: Uint8Array) => (n: FdtNode): FdtNode => ({ ...n, props: [...n.props.filter((p) => p.name !== name), prop(name, value)] });
const dropProp = (name: string) => (n: FdtNode): FdtNode => ({ ...n, props: n.props.filter((p) => p.name !== name) });

function refusal(dtb: Uint8Array): string {
  try {
    parseManifest(dtb);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).message;
  }
  throw new Error('accepted');
}

describe('FF-A partition manifest', () => {
  it('round-trips through the writer', () => {
    expect(parseManifest(writeManifest(SAMPLE))).toEqual(SAMPLE);
  });

  it('reads UUID cells as SMCCC register words (TF-A/Hafnium form); canonical-order cells read swapped', () => {
    const words = cells(0x1e67b5b4, 0xe14f904a, 0x13fb1fb8, 0xcbdae1da);
    const m = parseManifest(edited('/', setProp('uuid', words), { ...SAMPLE, uuids: SAMPLE.uuids.slice(0, 1), messagingMethods: [1] }));
    expect(m.uuids.map(uuidToText)).toEqual(['b4b5671e-4a90-4fe1-b81f-fb13dae1dacb']);
    const canonical = cells(0xb4b5671e, 0x4a904fe1, 0xb81ffb13, 0xdae1dacb);
    const swapped = parseManifest(edited('/', setProp('uuid', canonical), { ...SAMPLE, uuids: SAMPLE.uuids.slice(0, 1), messagingMethods: [1] }));
    expect(uuidToText(swapped.uuids[0]!)).toBe('1e67b5b4-e14f-904a-13fb-1fb8cbdae1da');
  });

  it('applies a single messaging-method value to every UUID', () => {
    expect(parseManifest(edited('/', setProp('messaging-method', cells(3)))).messagingMethods).toEqual([3, 3]);
  });

  it('defaults: entry offset 0, 4K granule, position independent, NS interrupts signaled', () => {
    const minimal = edited('/', (n) => ['description', 'entrypoint-offset', 'xlat-granule', 'load-address', 'boot-order', 'notification-support', 'ns-interrupts-action']
      .reduce<FdtNode>((x, name) => dropProp(name)(x), { ...n, children: [] }));
    const m = parseManifest(minimal);
    expect(m).toMatchObject({ entrypointOffset: 0n, xlatGranule: 0x1000, loadAddress: null, bootOrder: null, notificationSupport: false, nsInterruptsAction: 'signaled', memoryRegions: [], deviceRegions: [] });
    expect(parseManifest(edited('/', (n) => setProp('managed-exit', empty())(dropProp('ns-interrupts-action')(n)))).nsInterruptsAction).toBe('managed-exit');
  });

  it.each(['compatible', 'ffa-version', 'uuid', 'messaging-method', 'id', 'execution-ctx-count', 'exception-level', 'execution-state'])('refuses a manifest without %s', (name) => {
    expect(refusal(edited('/', dropProp(name)))).toBe(`FF-A manifest /${name}: missing (mandatory)`);
  });

  it.each([
    ['/', 'compatible', '/compatible', str('arm,ffa-manifest-1.1')],
    ['/', 'ffa-version', '/ffa-version', cells(0x2_0000)],
    ['/', 'ffa-version', '/ffa-version', str('1.1')],
    ['/', 'uuid', '/uuid', cells(1, 2, 3)],
    ['/', 'uuid', '/uuid[0]', cells(0, 0, 0, 0, 1, 2, 3, 4)],
    ['/', 'uuid', '/uuid[1]', cells(1, 2, 3, 4, 1, 2, 3, 4)],
    ['/', 'messaging-method', '/messaging-method', cells(1, 2, 3)],
    ['/', 'messaging-method', '/messaging-method[0]', cells(0x8, 1)],
    ['/', 'messaging-method', '/messaging-method[1]', cells(1, MESSAGING_DIRECT_REQ2_RECV)],
    ['/', 'id', '/id', cells(0x8000)],
    ['/', 'id', '/id', cells(0x0001)],
    ['/', 'id', '/id', cells(0x1_8001)],
    ['/', 'execution-ctx-count', '/execution-ctx-count', cells(0)],
    ['/', 'exception-level', '/exception-level', cells(3)],
    ['/', 'execution-state', '/execution-state', cells(2)],
    ['/', 'xlat-granule', '/xlat-granule', cells(3)],
    ['/', 'load-address', '/load-address', u64(0x0e40_0800n)],
    ['/', 'boot-order', '/boot-order', cells(0x1_0000)],
    ['/', 'ns-interrupts-action', '/ns-interrupts-action', cells(3)],
    ['/', 'notification-support', '/notification-support', cells(1)],
    ['/memory-regions', 'compatible', '/memory-regions/compatible', str('arm,ffa-manifest-device-regions')],
    ['/memory-regions/heap', 'base-address', '/memory-regions/heap/base-address', u64(0x8000_0800n)],
    ['/memory-regions/rx-tx', 'base-address', '/memory-regions/rx-tx/base-address', u64(0x8000_0000n)],
    ['/memory-regions/heap', 'pages-count', '/memory-regions/heap/pages-count', cells(0)],
    ['/memory-regions/heap', 'attributes', '/memory-regions/heap/attributes', cells(REGION_READ | REGION_WRITE | REGION_EXECUTE)],
    ['/memory-regions/heap', 'attributes', '/memory-regions/heap/attributes', cells(REGION_WRITE)],
    ['/memory-regions/heap', 'attributes', '/memory-regions/heap/attributes', cells(0x11)],
    ['/memory-regions/heap', 'base-address', '/memory-regions/heap', u64(0x7000_3000n)],
    ['/memory-regions/heap', 'base-address', '/memory-regions/heap', u64(0x0e50_1000n)], // into rx-tx at load + 1 MiB
    ['/device-regions/uart', 'attributes', '/device-regions/uart/attributes', cells(REGION_READ | REGION_EXECUTE)],
    ['/device-regions/uart', 'base-address', '/device-regions/uart', u64(0x2a81_0000n)],
    ['/device-regions/uart', 'interrupts', '/device-regions/uart/interrupts', cells(40)],
    ['/device-regions/uart', 'interrupts', '/device-regions/uart/interrupts[0]', cells(40, 0x1000)],
    ['/device-regions/uart', 'interrupts', '/device-regions/uart/interrupts[0]', cells(40, 0xc00)],
    ['/device-regions/uart', 'interrupts', '/device-regions/uart/interrupts[0]', cells(20, 0x800)],
    ['/device-regions/uart', 'interrupts', '/device-regions', cells(29, 0x400)],
  ] as const)('refuses a bad %s %s, naming %s', (path, name, where, value) => {
    expect(refusal(edited(path, setProp(name, value)))).toMatch(new RegExp(`^FF-A manifest ${where.replace(/[[\]]/g, '\\$&')}: `));
  });

  it('refuses a device region without a base address and a region with both address forms', () => {
    expect(refusal(edited('/device-regions/uart', dropProp('base-address')))).toBe('FF-A manifest /device-regions/uart/base-address: missing (mandatory)');
    expect(refusal(edited('/memory-regions/rx-tx', setProp('base-address', u64(0x9000_0000n))))).toContain('not both');
  });

  it('accepts Hafnium\'s older relative-address name', () => {
    const m = parseManifest(edited('/memory-regions/rx-tx', (n) => setProp('relative-address', u64(0x20_0000n))(dropProp('load-address-relative-offset')(n))));
    expect(m.memoryRegions[0]!.base).toEqual({ kind: 'relative', offset: 0x20_0000n });
  });

  it('DIRECT_REQ2 bits need ffa-version 1.2', () => {
    const v12 = { ...SAMPLE, ffaVersion: FFA_VERSION_1_2, messagingMethods: [MESSAGING_DIRECT_REQ2_RECV, MESSAGING_INDIRECT] };
    expect(parseManifest(writeManifest(v12)).messagingMethods).toEqual(v12.messagingMethods);
  });

  it('refuses a region node name the device-tree writer would refuse (found by the property test)', () => {
    const dtb = writeManifest(SAMPLE);
    const at = Buffer.from(dtb).indexOf('timer');
    const bad = dtb.slice();
    bad[at + 1] = 0xe9;
    expect(refusal(bad)).toMatch(/^FF-A manifest \/device-regions\/"t.*r": not a valid node name$/);
  });

  it('refuses bytes that are not a device tree', () => {
    expect(refusal(new Uint8Array(64))).toMatch(/^FF-A manifest \/: not a device tree: /);
  });

  it('readManifest takes a tree directly', () => {
    expect(readManifest(manifestTree(SAMPLE))).toEqual(SAMPLE);
    expect(() => readManifest(node('', [prop('compatible', str('x'))]))).toThrow('FF-A manifest /compatible: "x": want "arm,ffa-manifest-1.0"');
  });
});
