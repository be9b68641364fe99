// A partition's FF-A manifest (DEN0077 v1.1 chapter 3 "Partition setup";
// the device-tree binding of TF-A docs/components/ffa-manifest-binding.rst,
// read as Hafnium's src/manifest.c reads it): a strict reader over the
// repo's FDT reader, and a writer for the bundled partitions and tests.
//
// Only the "arm,ffa-manifest-1.0" binding is read (UUIDs and messaging
// methods as two lists at the root); later bindings' "services" node is
// refused by its compatible string.
//
// UUIDs: each UUID is four <u32> cells holding the SMCCC register words
// (DEN0028 "UUIDs in registers"; core/ffa/uuid.ts): word i is the
// little-endian reading of canonical bytes 4i..4i+3, so
// b4b5671e-4a90-4fe1-b81f-fb13dae1dacb is <0x1e67b5b4 0xe14f904a 0x13fb1fb8
// 0xcbdae1da>, as in TF-A's and Hafnium's SP manifests. TF-A's
// sp_mk_generator.py byte-swaps these words when it writes a UUID for the
// FIP (tb_fw_config); that other form is not a manifest form, and cells
// written in canonical byte order read as a different (swapped) UUID.
//
// Every missing mandatory property and every invalid value is a
// ManifestError naming the property's path.
import { FdtError, cells, empty, getProp, node, prop, readString, readStringList, readU32, readU32Cells, readU64, str, u64, type FdtNode } from '../fdt/tree.js';
import { readFdt } from '../fdt/reader.js';
import { isValidNodeName, writeFdt } from '../fdt/writer.js';
import { FFA_VERSION_1_2 } from '../ffa/functionIds.js';
import { uuidFromWords, uuidIsNull, uuidToText, uuidToWords, type FfaUuid } from '../ffa/uuid.js';

export const FFA_MANIFEST_COMPATIBLE = 'arm,ffa-manifest-1.0';
export const MEMORY_REGIONS_COMPATIBLE = 'arm,ffa-manifest-memory-regions';
export const DEVICE_REGIONS_COMPATIBLE = 'arm,ffa-manifest-device-regions';

/** messaging-method bits (binding "Services"). */
export const MESSAGING_DIRECT_REQ_RECV = 1 << 0;
export const MESSAGING_DIRECT_REQ_SEND = 1 << 1;
export const MESSAGING_INDIRECT = 1 << 2;
export const MESSAGING_DIRECT_REQ2_RECV = 1 << 9;
export const MESSAGING_DIRECT_REQ2_SEND = 1 << 10;
const MESSAGING_MASK = MESSAGING_DIRECT_REQ_RECV | MESSAGING_DIRECT_REQ_SEND | MESSAGING_INDIRECT | MESSAGING_DIRECT_REQ2_RECV | MESSAGING_DIRECT_REQ2_SEND;
const MESSAGING_REQ2 = MESSAGING_DIRECT_REQ2_RECV | MESSAGING_DIRECT_REQ2_SEND;

/** Region attributes (mapping modes ORed). */
export const REGION_READ = 0x1;
export const REGION_WRITE = 0x2;
export const REGION_EXECUTE = 0x4;
export const REGION_NON_SECURE = 0x8;

export type ExceptionLevel = 'EL1' | 'S-EL0' | 'S-EL1';
export type ExecutionState = 'AArch64' | 'AArch32';
export type NsInterruptsAction = 'queued' | 'managed-exit' | 'signaled';
export type InterruptType = 'SGI' | 'PPI' | 'SPI';

const EXCEPTION_LEVELS: readonly ExceptionLevel[] = ['EL1', 'S-EL0', 'S-EL1'];
const EXECUTION_STATES: readonly ExecutionState[] = ['AArch64', 'AArch32'];
const NS_ACTIONS: readonly NsInterruptsAction[] = ['queued', 'managed-exit', 'signaled'];
const GRANULES = [0x1000, 0x4000, 0x10000] as const;
const INTERRUPT_TYPES: readonly InterruptType[] = ['SGI', 'PPI', 'SPI'];

/** Where a region is: an address, an offset from the load address, or chosen by the SPMC. */
export type RegionBase = { kind: 'address'; address: bigint } | { kind: 'relative'; offset: bigint } | { kind: 'any' };

export interface MemoryRegion {
  /** The node name. */
  name: string;
  description: string | null;
  base: RegionBase;
  pageCount: number;
  /** REGION_* bits. */
  attributes: number;
}

export interface ManifestInterrupt {
  id: number;
  priority: number;
  secure: boolean;
  /** Level triggered (else edge). */
  level: boolean;
  type: InterruptType;
}

export interface DeviceRegion {
  name: string;
  description: string | null;
  address: bigint;
  pageCount: number;
  attributes: number;
  interrupts: ManifestInterrupt[];
  exclusiveAccess: boolean;
}

export interface PartitionManifest {
  /** major << 16 | minor. */
  ffaVersion: number;
  uuids: FfaUuid[];
  /** One per UUID (a single manifest value applies to every UUID). */
  messagingMethods: number[];
  id: number;
  description: string | null;
  executionContextCount: number;
  exceptionLevel: ExceptionLevel;
  executionState: ExecutionState;
  /** Null: position independent. */
  loadAddress: bigint | null;
  entrypointOffset: bigint;
  /** Bytes. */
  xlatGranule: 0x1000 | 0x4000 | 0x10000;
  bootOrder: number | null;
  notificationSupport: boolean;
  nsInterruptsAction: NsInterruptsAction;
  managedExitVirq: boolean;
  memoryRegions: MemoryRegion[];
  deviceRegions: DeviceRegion[];
}

export class ManifestError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`FF-A manifest ${path}: ${detail}`);
    this.name = 'ManifestError';
  }
}

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** Reads one property with `read`, turning value errors into a ManifestError for `path`. */
function typed<T>(n: FdtNode, path: string, name: string, read: (v: Uint8Array) => T): T | undefined {
  const value = getProp(n, name);
  if (value === undefined) return undefined;
  try {
    return read(value);
  } catch (e) {
    if (e instanceof FdtError) throw new ManifestError(`${path}${name}`, e.message);
    throw e;
  }
}

function required<T>(n: FdtNode, path: string, name: string, read: (v: Uint8Array) => T): T {
  const v = typed(n, path, name, read);
  if (v === undefined) throw new ManifestError(`${path}${name}`, 'missing (mandatory)');
  return v;
}

const flag = (n: FdtNode, path: string, name: string): boolean => {
  const v = getProp(n, name);
  if (v !== undefined && v.length !== 0) throw new ManifestError(`${path}${name}`, `an empty property, got ${v.length} bytes`);
  return v !== undefined;
};

function enumOf<T>(values: readonly T[], raw: number, where: string): T {
  const v = values[raw];
  if (v === undefined) throw new ManifestError(where, `${hex(raw)} is not one of 0..${values.length - 1}`);
  return v;
}

function checkAttributes(raw: number, where: string, device: boolean): number {
  if ((raw & ~(REGION_READ | REGION_WRITE | REGION_EXECUTE | REGION_NON_SECURE)) !== 0) throw new ManifestError(where, `${hex(raw)} has bits beyond read, write, execute and security state`);
  const perm = raw & (REGION_READ | REGION_WRITE | REGION_EXECUTE);
  // Hafnium maps only read-only, read-write and read-execute regions; devices are never executable.
  const allowed = device ? [REGION_READ, REGION_READ | REGION_WRITE] : [REGION_READ, REGION_READ | REGION_WRITE, REGION_READ | REGION_EXECUTE];
  if (!allowed.includes(perm)) throw new ManifestError(where, `${hex(raw)}: a ${device ? 'device' : 'memory'} region is ${device ? 'R or RW' : 'R, RW or RX'}`);
  return raw;
}

function pageCountOf(n: FdtNode, path: string): number {
  const count = required(n, path, 'pages-count', readU32);
  if (count === 0) throw new ManifestError(`${path}pages-count`, 'zero pages');
  return count;
}

function description(n: FdtNode, path: string): string | null {
  return typed(n, path, 'description', readString) ?? null;
}

function checkCompatible(n: FdtNode, path: string, want: string): void {
  const list = required(n, path, 'compatible', readStringList);
  if (!list.includes(want)) throw new ManifestError(`${path}compatible`, `${JSON.stringify(list.join(', '))}: want "${want}"`);
}

function readInterrupts(n: FdtNode, path: string): ManifestInterrupt[] {
  const words = typed(n, path, 'interrupts', readU32Cells) ?? [];
  if (words.length % 2 !== 0) throw new ManifestError(`${path}interrupts`, `${words.length} cells: want (id, attributes) pairs`);
  const out: ManifestInterrupt[] = [];
  for (let i = 0; i < words.length; i += 2) {
    const id = words[i]!;
    const attr = words[i + 1]!;
    const where = `${path}interrupts[${i / 2}]`;
    if ((attr & ~0xfff) !== 0) throw new ManifestError(where, `attributes ${hex(attr)}: bits 31:12 are reserved`);
    const type = INTERRUPT_TYPES[(attr >> 10) & 3];
    if (!type) throw new ManifestError(where, `attributes ${hex(attr)}: interrupt type 0b11 is reserved`);
    const range = type === 'SGI' ? [0, 15] : type === 'PPI' ? [16, 31] : [32, 1019];
    if (id < range[0]! || id > range[1]!) throw new ManifestError(where, `INTID ${id} is not a${type === 'SGI' ? 'n' : ''} ${type} (${range[0]}-${range[1]})`);
    out.push({ id, priority: attr & 0xff, secure: (attr & 0x100) !== 0, level: (attr & 0x200) !== 0, type });
  }
  return out;
}

function childrenOf(root: FdtNode, name: string, compatible: string): { node: FdtNode; path: string }[] {
  const parent = root.children.find((c) => c.name === name);
  if (!parent) return [];
  checkCompatible(parent, `/${name}/`, compatible);
  return parent.children.map((c) => {
    // Region names are labels, but a manifest we accept must write back.
    if (!isValidNodeName(c.name)) throw new ManifestError(`/${name}/${JSON.stringify(c.name)}`, 'not a valid node name');
    return { node: c, path: `/${name}/${c.name}/` };
  });
}

/** Parses a manifest from its DTB. */
export function parseManifest(dtb: Uint8Array): PartitionManifest {
  let root: FdtNode;
  try {
    root = readFdt(dtb).root;
  } catch (e) {
    if (e instanceof FdtError) throw new ManifestError('/', `not a device tree: ${e.message}`);
    throw e;
  }
  return readManifest(root);
}

/** Reads a manifest from a device tree. */
export function readManifest(root: FdtNode): PartitionManifest {
  const p = '/';
  checkCompatible(root, p, FFA_MANIFEST_COMPATIBLE);
  const ffaVersion = required(root, p, 'ffa-version', readU32);
  if (ffaVersion >>> 16 !== 1) throw new ManifestError('/ffa-version', `${hex(ffaVersion)}: only FF-A major version 1 exists`);

  const uuidCells = required(root, p, 'uuid', readU32Cells);
  if (uuidCells.length === 0 || uuidCells.length % 4 !== 0) throw new ManifestError('/uuid', `${uuidCells.length} cells: want one or more groups of 4`);
  const uuids: FfaUuid[] = [];
  for (let i = 0; i < uuidCells.length; i += 4) {
    const u = uuidFromWords(uuidCells.slice(i, i + 4));
    if (uuidIsNull(u)) throw new ManifestError(`/uuid[${i / 4}]`, 'the null UUID names no service');
    if (uuids.some((x) => uuidToText(x) === uuidToText(u))) throw new ManifestError(`/uuid[${i / 4}]`, `${uuidToText(u)} is listed twice`);
    uuids.push(u);
  }

  const methods = required(root, p, 'messaging-method', readU32Cells);
  if (methods.length !== 1 && methods.length !== uuids.length) throw new ManifestError('/messaging-method', `${methods.length} values for ${uuids.length} UUIDs: want one, or one per UUID`);
  methods.forEach((m, i) => {
    if ((m & ~MESSAGING_MASK) !== 0) throw new ManifestError(`/messaging-method[${i}]`, `${hex(m)} has bits beyond 2:0, 9 and 10`);
    if ((m & MESSAGING_REQ2) !== 0 && ffaVersion < FFA_VERSION_1_2) throw new ManifestError(`/messaging-method[${i}]`, `${hex(m)}: DIRECT_REQ2 needs ffa-version 1.2 or later`);
  });

  const id = required(root, p, 'id', readU32);
  // Partitions of the Secure world have bit 15 set; 0x8000 is the SPMC's own ID.
  if (id > 0xffff || (id & 0x8000) === 0 || id === 0x8000) throw new ManifestError('/id', `${hex(id)} is not a Secure partition ID (0x8001-0xffff)`);

  const executionContextCount = required(root, p, 'execution-ctx-count', readU32);
  if (executionContextCount === 0 || executionContextCount > 0xffff) throw new ManifestError('/execution-ctx-count', `${executionContextCount}: want 1-65535`);
  const exceptionLevel = enumOf(EXCEPTION_LEVELS, required(root, p, 'exception-level', readU32), '/exception-level');
  const executionState = enumOf(EXECUTION_STATES, required(root, p, 'execution-state', readU32), '/execution-state');
  const loadAddress = typed(root, p, 'load-address', readU64) ?? null;
  const entrypointOffset = typed(root, p, 'entrypoint-offset', readU64) ?? 0n;
  const xlatGranule = GRANULES[typed(root, p, 'xlat-granule', readU32) ?? 0];
  if (xlatGranule === undefined) throw new ManifestError('/xlat-granule', `${typed(root, p, 'xlat-granule', readU32)} is not one of 0 (4K), 1 (16K), 2 (64K)`);
  if (loadAddress !== null && loadAddress % BigInt(xlatGranule) !== 0n) throw new ManifestError('/load-address', `${hex(loadAddress)} is not aligned to the ${xlatGranule / 1024}K granule`);
  const bootOrder = typed(root, p, 'boot-order', readU32) ?? null;
  if (bootOrder !== null && bootOrder > 0xffff) throw new ManifestError('/boot-order', `${hex(bootOrder)} is above 0xffff`);
  const managedExit = flag(root, p, 'managed-exit');
  const nsRaw = typed(root, p, 'ns-interrupts-action', readU32);
  // Absent: the v1.0 managed-exit flag decides; without it, the interrupt is signaled.
  const nsInterruptsAction = nsRaw === undefined ? (managedExit ? 'managed-exit' : 'signaled') : enumOf(NS_ACTIONS, nsRaw, '/ns-interrupts-action');

  const granule = BigInt(xlatGranule);
  const memoryRegions = childrenOf(root, 'memory-regions', MEMORY_REGIONS_COMPATIBLE).map(({ node: n, path }): MemoryRegion => {
    const address = typed(n, path, 'base-address', readU64);
    const relative = typed(n, path, 'load-address-relative-offset', readU64) ?? typed(n, path, 'relative-address', readU64);
    if (address !== undefined && relative !== undefined) throw new ManifestError(`${path}base-address`, 'a region has a base address or a relative offset, not both');
    const base: RegionBase = address !== undefined ? { kind: 'address', address } : relative !== undefined ? { kind: 'relative', offset: relative } : { kind: 'any' };
    const where = base.kind === 'relative' ? 'load-address-relative-offset' : 'base-address';
    const at = base.kind === 'address' ? base.address : base.kind === 'relative' ? base.offset : 0n;
    if (at % granule !== 0n) throw new ManifestError(`${path}${where}`, `${hex(at)} is not aligned to the ${xlatGranule / 1024}K granule`);
    return { name: n.name, description: description(n, path), base, pageCount: pageCountOf(n, path), attributes: checkAttributes(required(n, path, 'attributes', readU32), `${path}attributes`, false) };
  });
  const deviceRegions = childrenOf(root, 'device-regions', DEVICE_REGIONS_COMPATIBLE).map(({ node: n, path }): DeviceRegion => {
    const address = required(n, path, 'base-address', readU64);
    if (address % granule !== 0n) throw new ManifestError(`${path}base-address`, `${hex(address)} is not aligned to the ${xlatGranule / 1024}K granule`);
    return {
      name: n.name, description: description(n, path), address, pageCount: pageCountOf(n, path),
      attributes: checkAttributes(required(n, path, 'attributes', readU32), `${path}attributes`, true),
      interrupts: readInterrupts(n, path), exclusiveAccess: flag(n, path, 'exclusive-access'),
    };
  });

  checkDisjoint(memoryRegions, deviceRegions, loadAddress, granule);
  const ids = deviceRegions.flatMap((d) => d.interrupts.map((i) => i.id));
  const twice = ids.find((v, i) => ids.indexOf(v) !== i);
  if (twice !== undefined) throw new ManifestError('/device-regions', `interrupt ${twice} is declared twice`);

  return {
    ffaVersion, uuids, messagingMethods: uuids.map((_, i) => methods[methods.length === 1 ? 0 : i]!), id, description: description(root, p),
    executionContextCount, exceptionLevel, executionState, loadAddress, entrypointOffset, xlatGranule, bootOrder,
    notificationSupport: flag(root, p, 'notification-support'), nsInterruptsAction, managedExitVirq: flag(root, p, 'managed-exit-virq'),
    memoryRegions, deviceRegions,
  };
}

/** Regions with a known address (relative ones when the load address is known) must not overlap. */
function checkDisjoint(memory: MemoryRegion[], devices: DeviceRegion[], loadAddress: bigint | null, granule: bigint): void {
  const placed: { name: string; start: bigint; end: bigint }[] = [];
  const add = (name: string, start: bigint | null, pages: number): void => {
    if (start === null) return;
    const end = start + BigInt(pages) * granule;
    const clash = placed.find((r) => start < r.end && r.start < end);
    if (clash) throw new ManifestError(name, `[${hex(start)}, ${hex(end)}) overlaps ${clash.name} [${hex(clash.start)}, ${hex(clash.end)})`);
    placed.push({ name, start, end });
  };
  for (const m of memory) {
    const start = m.base.kind === 'address' ? m.base.address : m.base.kind === 'relative' && loadAddress !== null ? loadAddress + m.base.offset : null;
    add(`/memory-regions/${m.name}`, start, m.pageCount);
  }
  for (const d of devices) add(`/device-regions/${d.name}`, d.address, d.pageCount);
}

/** The device tree of a manifest (reads back equal through readManifest). */
export function manifestTree(m: PartitionManifest): FdtNode {
  const opt = <T>(v: T | null | undefined, f: (x: T) => ReturnType<typeof prop>): ReturnType<typeof prop>[] => (v === null || v === undefined ? [] : [f(v)]);
  const props = [
    prop('compatible', str(FFA_MANIFEST_COMPATIBLE)),
    ...opt(m.description, (d) => prop('description', str(d))),
    prop('ffa-version', cells(m.ffaVersion)),
    prop('uuid', cells(...m.uuids.flatMap((u) => uuidToWords(u)))),
    prop('messaging-method', cells(...m.messagingMethods)),
    prop('id', cells(m.id)),
    prop('execution-ctx-count', cells(m.executionContextCount)),
    prop('exception-level', cells(EXCEPTION_LEVELS.indexOf(m.exceptionLevel))),
    prop('execution-state', cells(EXECUTION_STATES.indexOf(m.executionState))),
    ...opt(m.loadAddress, (a) => prop('load-address', u64(a))),
    prop('entrypoint-offset', u64(m.entrypointOffset)),
    prop('xlat-granule', cells(GRANULES.indexOf(m.xlatGranule))),
    ...opt(m.bootOrder, (b) => prop('boot-order', cells(b))),
    ...(m.notificationSupport ? [prop('notification-support', empty())] : []),
    prop('ns-interrupts-action', cells(NS_ACTIONS.indexOf(m.nsInterruptsAction))),
    ...(m.managedExitVirq ? [prop('managed-exit-virq', empty())] : []),
  ];
  const children: FdtNode[] = [];
  if (m.memoryRegions.length > 0) {
    children.push(node('memory-regions', [prop('compatible', str(MEMORY_REGIONS_COMPATIBLE))], m.memoryRegions.map((r) => node(r.name, [
      ...opt(r.description, (d) => prop('description', str(d))),
      prop('pages-count', cells(r.pageCount)),
      prop('attributes', cells(r.attributes)),
      ...(r.base.kind === 'address' ? [prop('base-address', u64(r.base.address))] : r.base.kind === 'relative' ? [prop('load-address-relative-offset', u64(r.base.offset))] : []),
    ]))));
  }
  if (m.deviceRegions.length > 0) {
    children.push(node('device-regions', [prop('compatible', str(DEVICE_REGIONS_COMPATIBLE))], m.deviceRegions.map((d) => node(d.name, [
      ...opt(d.description, (x) => prop('description', str(x))),
      prop('pages-count', cells(d.pageCount)),
      prop('attributes', cells(d.attributes)),
      prop('base-address', u64(d.address)),
      ...(d.interrupts.length > 0 ? [prop('interrupts', cells(...d.interrupts.flatMap((i) => [i.id, encodeInterruptAttributes(i)])))] : []),
      ...(d.exclusiveAccess ? [prop('exclusive-access', empty())] : []),
    ]))));
  }
  return node('', props, children);
}

function encodeInterruptAttributes(i: ManifestInterrupt): number {
  return (i.priority & 0xff) | (i.secure ? 0x100 : 0) | (i.level ? 0x200 : 0) | (INTERRUPT_TYPES.indexOf(i.type) << 10);
}

/** The manifest's DTB. */
export function writeManifest(m: PartitionManifest): Uint8Array {
  return writeFdt(manifestTree(m));
}
