// The endpoint RX/TX descriptor (DEN0077 v1.1 Table 5.x, "Endpoint RX/TX
// descriptor"; Hafnium struct ffa_endpoint_rx_tx_descriptor): how a
// hypervisor maps a VM's RX/TX buffers with the SPMC. The hypervisor writes
// it into its own TX buffer and calls FFA_RXTX_MAP with the address and
// page-count arguments zero. Layout, little-endian: endpoint ID (u16),
// reserved (u16), offset of the RX buffer's composite memory region
// descriptor (u32), offset of the TX buffer's (u32), pad (u32); each
// composite (16 bytes: page count, constituent count, reserved u64) is
// followed by its constituents (address u64, page count u32, reserved u32).
// Offsets are 8-byte aligned; one buffer is one physically contiguous run.
import { INVALID_PARAMETERS } from './errors.js';
import { accept, reject, type Checked } from './result.js';

export interface EndpointRxtx {
  endpoint: number;
  rx: bigint;
  tx: bigint;
  pageCount: number;
}

const HEADER = 16;
const COMPOSITE = 16;
const CONSTITUENT = 16;
/** The descriptor as a hypervisor writes it: header, RX composite + one constituent, TX composite + one constituent. */
export const ENDPOINT_RXTX_DESCRIPTOR_BYTES = HEADER + 2 * (COMPOSITE + CONSTITUENT);

export function encodeEndpointRxtx(d: EndpointRxtx): Uint8Array {
  const b = new Uint8Array(ENDPOINT_RXTX_DESCRIPTOR_BYTES);
  const dv = new DataView(b.buffer);
  const rxAt = HEADER;
  const txAt = HEADER + COMPOSITE + CONSTITUENT;
  dv.setUint16(0, d.endpoint, true);
  dv.setUint32(4, rxAt, true);
  dv.setUint32(8, txAt, true);
  for (const [at, address] of [[rxAt, d.rx], [txAt, d.tx]] as const) {
    dv.setUint32(at, d.pageCount, true);
    dv.setUint32(at + 4, 1, true);
    dv.setBigUint64(at + COMPOSITE, address, true);
    dv.setUint32(at + COMPOSITE + 8, d.pageCount, true);
  }
  return b;
}

/** Read one from `bytes` (the hypervisor's TX buffer): offsets aligned and inside, one constituent per buffer covering its pages. */
export function decodeEndpointRxtx(bytes: Uint8Array): Checked<EndpointRxtx> {
  if (bytes.length < HEADER) return reject(INVALID_PARAMETERS, 'the endpoint RX/TX descriptor does not fit the buffer');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const endpoint = dv.getUint16(0, true);
  const buffer = (name: string, at: number): Checked<{ address: bigint; pageCount: number }> => {
    if (at % 8 !== 0 || at < HEADER || at + COMPOSITE + CONSTITUENT > bytes.length) return reject(INVALID_PARAMETERS, `the ${name} composite's offset ${at} is not 8-byte aligned inside the buffer`);
    const pageCount = dv.getUint32(at, true);
    const count = dv.getUint32(at + 4, true);
    if (count !== 1) return reject(INVALID_PARAMETERS, `the ${name} buffer has ${count} constituents: one contiguous run is supported`);
    const address = dv.getBigUint64(at + COMPOSITE, true);
    if (dv.getUint32(at + COMPOSITE + 8, true) !== pageCount) return reject(INVALID_PARAMETERS, `the ${name} constituent does not cover the composite's ${pageCount} pages`);
    return accept({ address, pageCount });
  };
  const rx = buffer('RX', dv.getUint32(4, true));
  if (!rx.ok) return rx;
  const tx = buffer('TX', dv.getUint32(8, true));
  if (!tx.ok) return tx;
  if (rx.value.pageCount !== tx.value.pageCount) return reject(INVALID_PARAMETERS, `RX has ${rx.value.pageCount} pages, TX ${tx.value.pageCount}: they must match`);
  return accept({ endpoint, rx: rx.value.address, tx: tx.value.address, pageCount: rx.value.pageCount });
}
