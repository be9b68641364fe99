// The client's checks, in the order they run: the seeds' integration checks
// (discovery, direct messaging to each partition in both widths, relay and
// cycle refusal, memory life cycles from the Normal world and between
// partitions, fragmentation both ways, notifications, indirect messaging,
// Non-secure interrupt preemption and resume) and negative checks, each the
// error FF-A defines. One check is one `ClientCheck`: a name and a body
// written with CheckAsm (kit.ts). The memory each check shares is its own
// (CLIENT_SHARE_AREA + a page offset), so checks do not depend on each other
// beyond the set-up ones at the start (version, ID, RX/TX).
import * as F from '../../core/ffa/functionIds.js';
import { BUSY, DENIED, INVALID_PARAMETERS, NOT_SUPPORTED } from '../../core/ffa/errors.js';
import { uuidFromText, uuidToWords } from '../../core/ffa/uuid.js';
import { FFA_NOTIFICATION_FLAG_BITMAP_SPM } from '../../core/ffa/notifications.js';
import { FFA_PARTITION_COUNT_FLAG, PARTITION_INFO_SIZE_V1_1 } from '../../core/ffa/partitionInfo.js';
import {
  CMD_ADD, CMD_ECHO, CMD_IRQ, CMD_RELINQUISH, MEM_CHECK_KEEP, CMD_LAST_IRQ, CMD_MEM_CHECK, CMD_NOTIF_BIND, CMD_NOTIF_GET, CMD_NOTIF_UNBIND, CMD_RELAY, CMD_SHARE_TO, CMD_SPIN,
  SHARE_OP_DONATE, SHARE_OP_LEND, SHARE_OP_SHARE, SP1_ID, SP2_ID, SP2_UUID, SP3_ID,
} from '../sp/protocol.js';
import { SECURE_UART_INTID } from '../../core/machine.js';
import { CheckAsm } from './kit.js';
import { CLIENT_MAX_CPUS, PSCI_CPU_ON_64 } from './source.js';

export interface ClientCheck {
  name: string;
  body: (c: CheckAsm) => void;
}

/** Normal-world pages the checks share (RAM base + 16 MiB), 4 KiB each. */
export const CLIENT_SHARE_AREA = 0x4100_0000n;
/** Pages of the share too large for one TX buffer (more constituents than 4 KiB holds). */
export const FRAG_PAGES = 300;
/** SPIN iterations of the preemption check: long enough for the client's timer to fire. */
export const PREEMPT_SPIN = 400_000;
const VERSION_1_1 = 0x1_0001;
const page = (n: number): bigint => CLIENT_SHARE_AREA + BigInt(n) * 0x1000n;

/** A send by mem_send: `fid` of `pages` at `at` to `to` with `template`; `perFragment` constituents a fragment (0: fill),
 *  `sender` (a register), `stopAfterFirst` returns FFA_MEM_FRAG_RX unanswered. */
function send(c: CheckAsm, fid: number, to: number, at: bigint, pages: number, template: string, o: { perFragment?: number; sender?: string; stopAfterFirst?: boolean } = {}): void {
  c.asm(`    ldr x0, =0x${fid.toString(16)}\n    ldr x1, =0x${to.toString(16)}\n    ldr x2, =0x${at.toString(16)}\n    mov x3, #${pages}\n    adr x4, ${template}\n    mov x5, #${o.perFragment ?? 0}\n    ${o.sender ? `mov x6, ${o.sender}` : 'mov x6, x28'}\n    mov x7, #${o.stopAfterFirst ? 1 : 0}\n    bl mem_send`);
}

/** x19 = the handle of the FFA_SUCCESS in x2/x3; x21/x20 its words for FFA_MEM_RECLAIM. */
function keepHandle(c: CheckAsm): void {
  c.asm('    mov w19, w2\n    orr x19, x19, x3, lsl #32\n    mov w21, w19\n    lsr x20, x19, #32');
}

/** Share/lend/donate `pages` at `at` to `to` filled with `pattern`, have it MEM_CHECK them, then reclaim and
 *  find pattern + 1 at every page's start (a donate cannot be reclaimed: the reclaim must fail). */
function lifecycle(c: CheckAsm, op: 'share' | 'lend' | 'donate', to: number, at: bigint, pages: number, pattern: number, perFragment = 0): void {
  c.asm(`    ldr x0, =0x${at.toString(16)}\n    mov x1, #${pages}\n    mov x2, #${pattern}\n    bl fill_pages`);
  const fid = op === 'share' ? F.FFA_MEM_SHARE_64 : op === 'lend' ? F.FFA_MEM_LEND_64 : F.FFA_MEM_DONATE_64;
  c.asm(`    ldr x0, =0x${fid.toString(16)}\n    ldr x1, =0x${to.toString(16)}\n    ldr x2, =0x${at.toString(16)}\n    mov x3, #${pages}\n    adr x4, ${op}_template\n    mov x5, #${perFragment}\n    mov x6, x28\n    bl mem_send`);
  c.expectSuccess(`FFA_MEM_${op.toUpperCase()}_64 refused`);
  c.asm('    mov w19, w2\n    orr x19, x19, x3, lsl #32              // the handle');
  c.directOk(64, to, CMD_MEM_CHECK, 'x19', pattern, pages);
  c.expectReg('x4', pages, 'pages the partition checked');
  c.asm('    mov w21, w19\n    lsr x20, x19, #32');
  c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
  if (op === 'donate') {
    c.asm(`${'    ldr x9, ='}0x${F.FFA_ERROR.toString(16)}\n    cmp w0, w9`);
    c.failUnless('eq', 'a donate was reclaimed', 'x0');
    return;
  }
  c.expectSuccess('FFA_MEM_RECLAIM refused');
  c.asm(`    ldr x0, =0x${at.toString(16)}\n    mov x1, #${pages}\n    mov x2, #${(pattern + 1) & 0xff}\n    bl count_marks`);
  c.expectReg('x0', pages, 'pages the partition marked');
}

const sp2Uuid = uuidToWords(uuidFromText(SP2_UUID)!);

export function clientChecks(): ClientCheck[] {
  const echo = (width: 32 | 64, target: number) => (c: CheckAsm): void => {
    const v = width === 64 ? 0x0123_4567_89ab_cdefn : 0x89ab_cdefn;
    c.directOk(width, target, CMD_ECHO, v, 0x55aa, 7, 'x28');
    c.expectReg('x4', v, 'echoed x4');
    c.expectReg('x5', 0x55aa, 'echoed x5');
    c.expectReg('x6', 7, 'echoed x6');
    c.expectReg('x7', 'x28', 'echoed x7');
  };
  return [
    { name: 'ffa-version', body: (c) => {
      c.call(F.FFA_VERSION, VERSION_1_1);
      c.expectFid([0x1_0001, 0x1_0002], 'FFA_VERSION(1.1) is not 1.1 or 1.2');
    } },
    { name: 'ffa-version-unsupported-major', body: (c) => {
      c.call(F.FFA_VERSION, 0x2_0000);
      c.expectReg('x0', -1n, 'not the 64-bit NOT_SUPPORTED');
    } },
    { name: 'id-get', body: (c) => {
      c.call(F.FFA_ID_GET);
      c.expectSuccess('FFA_ID_GET refused');
      c.asm('    and x28, x2, #0xffff');
      c.asm('    tst x28, #0x8000');
      c.failUnless('eq', 'a Normal-world ID has bit 15 clear', 'x28');
    } },
    { name: 'spm-id-get', body: (c) => {
      c.call(F.FFA_SPM_ID_GET);
      c.expectSuccess('FFA_SPM_ID_GET refused');
      c.asm('    and x2, x2, #0xffff');
      c.expectReg('x2', 0x8000, 'SPMC ID');
    } },
    { name: 'features', body: (c) => {
      c.call(F.FFA_FEATURES, F.FFA_MEM_SHARE_64);
      c.expectSuccess('FFA_FEATURES(FFA_MEM_SHARE_64)');
      c.call(F.FFA_FEATURES, F.FFA_MSG_SEND_DIRECT_REQ_64);
      c.expectSuccess('FFA_FEATURES(FFA_MSG_SEND_DIRECT_REQ_64)');
      c.call(F.FFA_FEATURES, 0x8400_00ff);
      c.expectError(NOT_SUPPORTED, 'FFA_FEATURES(an unknown function)');
    } },
    { name: 'rxtx-map', body: (c) => {
      c.asm('    adr x1, tx_buffer\n    adr x2, rx_buffer\n    mov x3, #1');
      c.call(F.FFA_RXTX_MAP_64, 'x1', 'x2', 'x3');
      c.expectSuccess('FFA_RXTX_MAP_64 refused');
    } },
    { name: 'rxtx-map-twice-denied', body: (c) => {
      c.asm('    adr x1, tx_buffer\n    adr x2, rx_buffer');
      c.call(F.FFA_RXTX_MAP_64, 'x1', 'x2', 1);
      c.expectError(DENIED, 'a second FFA_RXTX_MAP');
    } },
    { name: 'partition-info', body: (c) => {
      c.call(F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0);
      c.expectSuccess('FFA_PARTITION_INFO_GET refused');
      c.asm('    mov w2, w2');
      c.expectReg('x2', 3, 'partition count');
      c.asm('    mov w3, w3');
      c.expectReg('x3', PARTITION_INFO_SIZE_V1_1, 'descriptor size');
      c.asm('    adr x19, rx_buffer');
      [SP1_ID, SP2_ID, SP3_ID].forEach((id, i) => {
        c.asm(`    ldrh w9, [x19, #${i * PARTITION_INFO_SIZE_V1_1}]`);
        c.expectReg('x9', id, `partition ${i} ID`);
      });
      c.call(F.FFA_RX_RELEASE);
      c.expectSuccess('FFA_RX_RELEASE refused');
    } },
    { name: 'partition-info-uuid', body: (c) => {
      c.call(F.FFA_PARTITION_INFO_GET, ...sp2Uuid, 0);
      c.expectSuccess('FFA_PARTITION_INFO_GET(SP2 UUID) refused');
      c.asm('    mov w2, w2');
      c.expectReg('x2', 1, 'partition count');
      c.asm('    adr x19, rx_buffer\n    ldrh w9, [x19]');
      c.expectReg('x9', SP2_ID, 'the partition found');
      c.call(F.FFA_RX_RELEASE);
      c.expectSuccess('FFA_RX_RELEASE refused');
    } },
    { name: 'partition-info-count-only', body: (c) => {
      c.call(F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, FFA_PARTITION_COUNT_FLAG);
      c.expectSuccess('FFA_PARTITION_INFO_GET(count only) refused');
      c.asm('    mov w2, w2');
      c.expectReg('x2', 3, 'partition count');
    } },
    { name: 'partition-info-unknown-uuid', body: (c) => {
      c.call(F.FFA_PARTITION_INFO_GET, 0x1234_5678, 0x9abc_def0, 0x1111_2222, 0x3333_4444, 0);
      c.expectError(INVALID_PARAMETERS, 'an unknown UUID');
    } },
    { name: 'rx-release-not-owned', body: (c) => {
      c.call(F.FFA_RX_RELEASE);
      c.expectError(DENIED, 'FFA_RX_RELEASE of a released buffer');
    } },
    { name: 'direct-sp1-64', body: (c) => {
      echo(64, SP1_ID)(c);
      c.directOk(64, SP1_ID, CMD_ADD, 0x1_0000_0000n);
      c.expectReg('x4', 0x1_0000_1000n, 'x4 + 0x1000');
    } },
    { name: 'direct-sp1-32', body: echo(32, SP1_ID) },
    { name: 'direct-sp2-64', body: echo(64, SP2_ID) },
    { name: 'direct-sp2-32', body: echo(32, SP2_ID) },
    { name: 'direct-sp3-64', body: echo(64, SP3_ID) },
    { name: 'direct-sp3-32', body: echo(32, SP3_ID) },
    { name: 'direct-unknown-partition', body: (c) => {
      c.call(F.FFA_MSG_SEND_DIRECT_REQ_64, 'endpoints:0x8009', 0, CMD_ECHO);
      c.expectError(INVALID_PARAMETERS, 'a request to no partition');
    } },
    { name: 'direct-wrong-sender', body: (c) => {
      // A Secure ID as the sender of a Normal-world request (VM IDs cannot be told apart below the proxy).
      c.call(F.FFA_MSG_SEND_DIRECT_REQ_64, 0x8002_8001, 0, CMD_ECHO);
      c.expectError(INVALID_PARAMETERS, 'a Normal-world request naming a partition as its sender');
    } },
    { name: 'sp2-secure-interrupt-64', body: (c) => {
      c.directOk(64, SP2_ID, CMD_IRQ);
      c.expectReg('x4', SECURE_UART_INTID, 'the INTID SP2 captured');
    } },
    { name: 'sp2-secure-interrupt-32', body: (c) => {
      c.directOk(32, SP2_ID, CMD_LAST_IRQ);
      c.expectReg('x4', SECURE_UART_INTID, 'the INTID SP2 captured');
    } },
    { name: 'relay-sp3-to-sp1', body: (c) => {
      c.directOk(64, SP3_ID, CMD_RELAY, SP1_ID, CMD_ADD, 0x1234);
      c.expectReg('x4', 0x2234, 'SP1 answered through SP3');
    } },
    { name: 'relay-sp3-to-sp2-32', body: (c) => {
      c.directOk(32, SP3_ID, CMD_RELAY, SP2_ID, CMD_ECHO, 0x4321);
      c.expectReg('x4', 0x4321, 'SP2 answered through SP3');
    } },
    { name: 'relay-cycle-refused', body: (c) => {
      c.direct(64, SP3_ID, CMD_RELAY, SP3_ID, CMD_ECHO);
      c.asm('    sxtw x9, w3\n    cmp x9, #0');
      c.failUnless('lt', 'SP3 -> SP3 was not refused', 'x3');
    } },
    { name: 'relay-cycle-two-hops-refused', body: (c) => {
      // Client -> SP3 -> SP1, which shares a page with SP3 and asks SP3 to check it: SP3 is in the chain.
      c.direct(64, SP3_ID, CMD_RELAY, SP1_ID, CMD_SHARE_TO, SP3_ID, SHARE_OP_SHARE);
      c.asm('    sxtw x9, w3\n    cmp x9, #0');
      c.failUnless('lt', 'SP1 -> SP3 inside SP3\'s request was not refused', 'x3');
    } },
    { name: 'mem-share-sp1', body: (c) => lifecycle(c, 'share', SP1_ID, page(0), 4, 0x5a) },
    { name: 'mem-lend-sp1', body: (c) => lifecycle(c, 'lend', SP1_ID, page(4), 4, 0xa5) },
    { name: 'mem-share-sp2', body: (c) => lifecycle(c, 'share', SP2_ID, page(8), 2, 0x11) },
    { name: 'mem-lend-sp3', body: (c) => lifecycle(c, 'lend', SP3_ID, page(10), 2, 0x22) },
    { name: 'mem-donate-sp1', body: (c) => lifecycle(c, 'donate', SP1_ID, page(12), 1, 0x33) },
    { name: 'mem-reclaim-unknown-handle', body: (c) => {
      c.call(F.FFA_MEM_RECLAIM, 0xdead, 0, 0);
      c.expectError(INVALID_PARAMETERS, 'reclaim of a handle never given');
    } },
    { name: 'mem-share-other-sender-denied', body: (c) => {
      // Under the hypervisor (own ID > 0) the next VM's ID: the proxy checks a VM names itself. Bare (ID 0) the
      // SPMC serves the Normal world as one endpoint and takes the Normal-world sender a descriptor names, as
      // Hafnium's does for the other world: there the other sender is a partition, which no Normal-world call may name.
      c.asm(`    ldr x0, =0x${F.FFA_MEM_SHARE_64.toString(16)}\n    ldr x1, =0x${SP1_ID.toString(16)}\n    ldr x2, =0x${page(13).toString(16)}\n    mov x3, #1\n    adr x4, share_template\n    mov x5, #0\n    add x6, x28, #1\n    cbnz x28, 1f\n    ldr x6, =0x${SP2_ID.toString(16)}\n1:  bl mem_send`);
      c.expectError(DENIED, 'a share naming another sender');
    } },
    { name: 'mem-share-no-constituents', body: (c) => {
      c.asm(`    ldr x0, =0x${F.FFA_MEM_SHARE_64.toString(16)}\n    ldr x1, =0x${SP1_ID.toString(16)}\n    ldr x2, =0x${page(13).toString(16)}\n    mov x3, #0\n    adr x4, share_template\n    mov x5, #0\n    mov x6, x28\n    bl mem_send`);
      c.expectError(INVALID_PARAMETERS, 'a share of no memory');
    } },
    { name: 'mem-reclaim-while-held-denied', body: (c) => {
      c.asm(`    ldr x0, =0x${page(14).toString(16)}\n    mov x1, #1\n    mov x2, #0x66\n    bl fill_pages`);
      send(c, F.FFA_MEM_SHARE_64, SP1_ID, page(14), 1, 'share_template');
      c.expectSuccess('FFA_MEM_SHARE_64 refused');
      keepHandle(c);
      c.directOk(64, SP1_ID, CMD_MEM_CHECK, 'x19', 0x66, 1, MEM_CHECK_KEEP);
      c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
      c.expectError(DENIED, 'a reclaim while SP1 holds the memory');
      c.directOk(64, SP1_ID, CMD_RELINQUISH, 'x19');
      c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
      c.expectSuccess('the reclaim after SP1 relinquished');
    } },
    { name: 'mem-retrieve-more-access-denied', body: (c) => {
      send(c, F.FFA_MEM_SHARE_64, SP1_ID, page(15), 1, 'share_ro_template');
      c.expectSuccess('a read-only FFA_MEM_SHARE_64 refused');
      keepHandle(c);
      c.direct(64, SP1_ID, CMD_MEM_CHECK, 'x19', 0, 1);
      c.asm('    sxtw x9, w3');
      c.expectReg('x9', BigInt(DENIED), 'SP1 asking read-write of a read-only share');
      c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
      c.expectSuccess('FFA_MEM_RECLAIM refused');
    } },
    { name: 'mem-fragmented-incomplete-refused', body: (c) => {
      // The first of three fragments only: the transaction cannot be retrieved or reclaimed (its pages stay pinned).
      send(c, F.FFA_MEM_SHARE_64, SP1_ID, page(20), 3, 'share_template', { perFragment: 1, stopAfterFirst: true });
      c.expectFid([F.FFA_MEM_FRAG_RX], 'no FFA_MEM_FRAG_RX for the rest');
      c.asm('    mov w21, w1\n    mov w20, w2\n    orr x19, x21, x20, lsl #32');
      c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
      c.expectError(INVALID_PARAMETERS, 'a reclaim of an incomplete transaction');
      c.direct(64, SP1_ID, CMD_MEM_CHECK, 'x19', 0, 3);
      c.asm('    sxtw x9, w3');
      c.expectReg('x9', BigInt(INVALID_PARAMETERS), 'SP1 retrieving an incomplete transaction');
    } },
    { name: 'mem-share-not-owned-denied', body: (c) => {
      send(c, F.FFA_MEM_SHARE_64, SP2_ID, 0x0e40_0000n, 1, 'share_template');
      c.expectError(DENIED, 'a share of SP1\'s Secure memory from the Normal world');
    } },
    { name: 'mem-share-twice-denied', body: (c) => {
      send(c, F.FFA_MEM_SHARE_64, SP1_ID, page(23), 1, 'share_template');
      c.expectSuccess('FFA_MEM_SHARE_64 refused');
      keepHandle(c);
      send(c, F.FFA_MEM_SHARE_64, SP2_ID, page(23), 1, 'share_template');
      c.expectError(DENIED, 'a second share of a page already shared');
      c.call(F.FFA_MEM_RECLAIM, 'x21', 'x20', 0);
      c.expectSuccess('FFA_MEM_RECLAIM refused');
    } },
    { name: 'sp-to-sp-share', body: (c) => {
      c.directOk(64, SP1_ID, CMD_SHARE_TO, SP2_ID, SHARE_OP_SHARE, 0x77);
      c.expectReg('x5', 1, 'pages SP2 checked');
    } },
    { name: 'sp-to-sp-lend', body: (c) => {
      c.directOk(64, SP1_ID, CMD_SHARE_TO, SP2_ID, SHARE_OP_LEND, 0x78);
      c.expectReg('x5', 1, 'pages SP2 checked');
    } },
    { name: 'sp-to-sp-donate', body: (c) => {
      c.directOk(64, SP1_ID, CMD_SHARE_TO, SP3_ID, SHARE_OP_DONATE, 0x79);
      c.expectReg('x5', 1, 'pages SP3 checked');
    } },
    { name: 'frag-tx', body: (c) => lifecycle(c, 'share', SP1_ID, page(16), 3, 0x44, 1) },
    { name: 'frag-tx-and-rx', body: (c) => lifecycle(c, 'share', SP1_ID, page(32), FRAG_PAGES, 0x3c) },
    { name: 'frag-tx-unknown-handle', body: (c) => {
      c.call(F.FFA_MEM_FRAG_TX, 0xbeef, 0, 16, 0);
      c.expectError(INVALID_PARAMETERS, 'a fragment for no transaction');
    } },
    { name: 'notifications', body: (c) => {
      c.directOk(64, SP1_ID, CMD_NOTIF_BIND, 'x28', 1 << 5);
      c.asm(`    ldr x9, =0x${SP1_ID.toString(16)}\n    orr x19, x9, x28, lsl #16`);
      c.call(F.FFA_NOTIFICATION_SET, 'x19', 0, 1 << 5, 0);
      c.expectSuccess('FFA_NOTIFICATION_SET refused');
      // The Normal world's scheduler asks who has notifications pending: SP1 heads the first list.
      c.call(F.FFA_NOTIFICATION_INFO_GET_64);
      c.expectFid([F.FFA_SUCCESS_64], 'FFA_NOTIFICATION_INFO_GET_64 refused');
      c.asm('    and x9, x3, #0xffff');
      c.expectReg('x9', SP1_ID, 'the first ID FFA_NOTIFICATION_INFO_GET_64 lists');
      c.directOk(64, SP1_ID, CMD_NOTIF_GET);
      c.asm('    and x9, x5, #0x20\n    cmp x9, #0');
      c.failUnless('ne', 'the notification did not reach SP1', 'x5');
      c.directOk(64, SP1_ID, CMD_NOTIF_UNBIND, 'x28', 1 << 5);
    } },
    { name: 'notification-set-unbound-denied', body: (c) => {
      c.asm(`    ldr x9, =0x${SP1_ID.toString(16)}\n    orr x19, x9, x28, lsl #16`);
      c.call(F.FFA_NOTIFICATION_SET, 'x19', 0, 1 << 6, 0);
      c.expectError(DENIED, 'a notification nobody bound');
    } },
    { name: 'indirect-message', body: (c) => {
      // The Normal world's notification bitmap (the SPMC pends the RX-buffer-full notification there); already there is fine.
      c.call(F.FFA_NOTIFICATION_BITMAP_CREATE, 'x28', 1);
      c.asm(`    ldr x0, =0x${SP1_ID.toString(16)}\n    bl send_indirect`);
      c.expectSuccess('FFA_MSG_SEND2 refused');
      c.asm(`    ldr x9, =0x${SP1_ID.toString(16)}\n    lsl x19, x9, #16`);
      c.call(F.FFA_RUN, 'x19');
      c.expectFid([F.FFA_SUCCESS_32, F.FFA_MSG_WAIT], 'FFA_RUN of SP1 did not end with it waiting');
      c.asm('    bl check_indirect_reply');
      c.asm('    cmp x0, #0');
      c.failUnless('eq', 'no echoed indirect message in RX', 'x0');
      // RX is ours until released; first fetch the RX-buffer-full notification a partition's message pended.
      c.call(F.FFA_NOTIFICATION_GET, 'x28', FFA_NOTIFICATION_FLAG_BITMAP_SPM);
      c.call(F.FFA_RX_RELEASE);
      c.expectSuccess('FFA_RX_RELEASE refused');
    } },
    { name: 'msg-send2-no-indirect-denied', body: (c) => {
      c.asm(`    ldr x0, =0x${SP2_ID.toString(16)}\n    bl send_indirect`);
      c.expectError(DENIED, 'an indirect message to SP2, whose manifest has no indirect messaging');
    } },
    { name: 'partition-info-rx-busy', body: (c) => {
      c.call(F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0);
      c.expectSuccess('FFA_PARTITION_INFO_GET refused');
      c.call(F.FFA_PARTITION_INFO_GET, 0, 0, 0, 0, 0);
      c.expectError(BUSY, 'FFA_PARTITION_INFO_GET with RX still full');
      c.call(F.FFA_RX_RELEASE);
      c.expectSuccess('FFA_RX_RELEASE refused');
    } },
    { name: 'run-unknown-partition', body: (c) => {
      c.call(F.FFA_RUN, 0x8009_0000);
      c.expectError(INVALID_PARAMETERS, 'FFA_RUN of no partition');
    } },
    { name: 'direct-from-every-cpu', body: (c) => {
      // Each secondary CPU in turn (CPU_ON until one is missing) sends SP1, a UP partition, an ADD from its PE.
      c.asm(`    adr x9, own_id
    str x28, [x9]
    mov x19, #1
every_cpu_next:
    cmp x19, #${CLIENT_MAX_CPUS}
    b.hs every_cpu_done
    adr x9, sec_done
    str xzr, [x9]
    ldr x0, =0x${PSCI_CPU_ON_64.toString(16)}
    mov x1, x19
    adr x2, secondary_entry
    mov x3, x19
    bl ffa
    cbnz x0, every_cpu_done                  // no such CPU
    ldr x21, =2000000
every_cpu_wait:
    adr x9, sec_done
    ldr x10, [x9]
    cbnz x10, every_cpu_answered
    subs x21, x21, #1
    b.ne every_cpu_wait`);
      c.fail('a secondary CPU did not finish its request', 'x19');
      c.asm(`every_cpu_answered:
    adr x9, sec_result
    ldp x22, x23, [x9]
    ldr x25, [x9, #16]
    ldr x11, =0x${F.FFA_MSG_SEND_DIRECT_RESP_64.toString(16)}
    cmp x22, x11`);
      c.failUnless('eq', 'no direct response on a secondary CPU (value: its w2)', 'x25');
      c.asm('    add x24, x19, #0x2000');
      c.expectReg('x23', 'x24', 'SP1\'s ADD answer on a secondary CPU');
      c.asm(`    add x19, x19, #1
    b every_cpu_next
every_cpu_done:`);
    } },
    { name: 'direct-to-preempted-busy', body: (c) => {
      // SP1 preempted by the client's Non-secure interrupt is not waiting: a new request to it is BUSY; FFA_RUN finishes it.
      c.asm('    bl arm_ns_timer');
      c.call(F.FFA_MSG_SEND_DIRECT_REQ_64, `endpoints:0x${SP1_ID.toString(16)}`, 0, CMD_SPIN, PREEMPT_SPIN);
      c.asm(`    msr cntv_ctl_el0, xzr\n    ldr x9, =0x${F.FFA_INTERRUPT.toString(16)}\n    cmp w0, w9`);
      c.failUnless('eq', 'SP1 was not preempted', 'x0');
      c.call(F.FFA_MSG_SEND_DIRECT_REQ_64, `endpoints:0x${SP1_ID.toString(16)}`, 0, CMD_ECHO);
      c.expectError(BUSY, 'a request to a preempted partition');
      c.asm(`    mov x19, #0
${c.id}_run:
    ldr x9, =0x${SP1_ID.toString(16)}
    lsl x1, x9, #16
    ldr x0, =0x${F.FFA_RUN.toString(16)}
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
    add x19, x19, #1
    ldr x9, =0x${F.FFA_INTERRUPT.toString(16)}
    cmp w0, w9
    b.ne ${c.id}_done
    cmp x19, #64
    b.lo ${c.id}_run
${c.id}_done:`);
      c.expectFid([F.FFA_MSG_SEND_DIRECT_RESP_64], 'the preempted request did not complete');
      c.expectReg('x5', PREEMPT_SPIN, 'iterations SP1 did');
    } },
    { name: 'ns-interrupt-preempts-and-resumes', body: (c) => {
      c.asm('    bl arm_ns_timer');
      c.call(F.FFA_MSG_SEND_DIRECT_REQ_64, `endpoints:0x${SP1_ID.toString(16)}`, 0, CMD_SPIN, PREEMPT_SPIN);
      c.asm('    mov x19, #0                             // times preempted');
      c.asm(`
preempt_loop:
    ldr x9, =0x${F.FFA_INTERRUPT.toString(16)}
    cmp w0, w9
    b.ne preempt_done
    add x19, x19, #1
    msr cntv_ctl_el0, xzr                   // the Non-secure interrupt handled: the line falls
    cmp x19, #64
    b.hs preempt_done
    ldr x9, =0x${SP1_ID.toString(16)}
    lsl x1, x9, #16
${'    ldr x0, ='}0x${F.FFA_RUN.toString(16)}
    mov x2, #0
    mov x3, #0
    mov x4, #0
    mov x5, #0
    mov x6, #0
    mov x7, #0
    bl ffa
    b preempt_loop
preempt_done:
    msr cntv_ctl_el0, xzr`);
      c.expectFid([F.FFA_MSG_SEND_DIRECT_RESP_64], 'the preempted request did not complete');
      c.expectReg('x5', PREEMPT_SPIN, 'iterations SP1 did');
      c.asm('    cmp x19, #0');
      c.failUnless('ne', 'SP1 was never preempted', 'x19');
    } },
  ];
}
