// The bundled Secure Partitions' identities and their direct-request
// protocol (guests/ffa-linux/README.md fixes ECHO, MEM_CHECK and RELAY; the
// rest extends it for the NS test client). A request carries the command in
// x3 and arguments in x4-x7; the response carries a status in x3 (0, a
// negative FF-A error code, or a positive PARTITION_* failure below) and
// results in x4-x7.

export const SP1_ID = 0x8001;
export const SP2_ID = 0x8002;
export const SP3_ID = 0x8003;

export const SP1_UUID = 'fe18f6c1-cfd1-470b-8d01-6f50b8879a96';
export const SP2_UUID = '11b69ac8-c48a-40eb-a6a0-ff79c7f12cf7';
export const SP3_UUID = '7241638b-5200-4f8a-a340-d5d1f5aa11ef';

/** Every partition: status 0, x4-x7 as sent. */
export const CMD_ECHO = 1;
/** Every partition: x4 handle, x5 byte pattern, x6 page count, x7 flags (MEM_CHECK_KEEP). Retrieves the
 *  handle from the request's sender, checks every byte of every page, writes
 *  pattern + 1 at each page's start when granted write access, relinquishes
 *  (not a donate). Status 0 and x4 = pages checked. */
export const CMD_MEM_CHECK = 2;
/** MEM_CHECK flag: keep the memory retrieved (no relinquish) until RELINQUISH. */
export const MEM_CHECK_KEEP = 1;
/** SP3: x4 target partition, x5 command (0: ECHO), x6/x7 the target's x4/x5.
 *  Answers the target's response, or the error of the forwarded request. */
export const CMD_RELAY = 3;
/** Every partition: x4 + 0x1000 (the seeds' proof of a round trip), x5-x7 as sent. */
export const CMD_ADD = 4;
/** SP1: x4 borrower, x5 operation (SHARE_OP_*), x6 byte pattern. SP1 fills one
 *  page of its Secure memory, sends it, asks the borrower to MEM_CHECK it, then
 *  reclaims it (not a donate) and checks the borrower's write. Status (its own
 *  or the borrower's), x4 handle, x5 pages the borrower checked, x6 0 or the
 *  reclaim's error. */
export const CMD_SHARE_TO = 5;
/** SP2: arms its self-triggerable Secure interrupt (the secure UART's TX
 *  interrupt, INTID 40), waits for the virtual interrupt; x4 = the INTID
 *  HF_INTERRUPT_GET gave, x5 = interrupts taken so far. */
export const CMD_IRQ = 6;
/** SP2: x4 = the last INTID captured (0: none yet), x5 = interrupts taken. */
export const CMD_LAST_IRQ = 7;
/** SP1: x4 sender endpoint, x5 bitmap: FFA_NOTIFICATION_BIND; status. */
export const CMD_NOTIF_BIND = 8;
/** SP1: FFA_NOTIFICATION_GET (SP and VM bitmaps); x4 from partitions, x5 from VMs. */
export const CMD_NOTIF_GET = 9;
/** SP1: x4 sender endpoint, x5 bitmap: FFA_NOTIFICATION_UNBIND; status. */
export const CMD_NOTIF_UNBIND = 10;

export const SHARE_OP_SHARE = 0;
export const SHARE_OP_LEND = 1;
export const SHARE_OP_DONATE = 2;

/** Positive statuses: the partition's own checks failed. */
export const PARTITION_PATTERN_MISMATCH = 1;
export const PARTITION_TIMEOUT = 2;
export const PARTITION_UNEXPECTED = 3;

/** Where each partition's image runs (secure RAM, 1 MiB apart; see README). */
export const SP1_LOAD_ADDRESS = 0x0e40_0000n;
export const SP2_LOAD_ADDRESS = 0x0e50_0000n;
export const SP3_LOAD_ADDRESS = 0x0e60_0000n;
/** Every partition: spin x4 iterations (a long request a Non-secure interrupt can preempt); x4 = 0, x5 = iterations done. */
export const CMD_SPIN = 11;
/** Every partition: FFA_MEM_RELINQUISH of handle x4 (memory a MEM_CHECK kept); status. */
export const CMD_RELINQUISH = 12;
