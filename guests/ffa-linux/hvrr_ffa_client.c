// SPDX-License-Identifier: GPL-2.0-only
/*
 * hvrr's FF-A test client for Linux: binds to the three bundled Secure
 * Partitions through Linux's own FF-A driver (drivers/firmware/arm_ffa) and
 * exercises them the way a real client does: direct messages in the 64-bit
 * and 32-bit forms, memory share and lend of a few pages that the partition
 * retrieves, checks and writes, reclaim, and a share of discontiguous pages
 * too large for one TX buffer (the driver sends it with FFA_MEM_FRAG_TX).
 * One line per check, "hvrr-ffa-client: PASS <check>" or "FAIL <check>: why",
 * then a summary line per partition. The request protocol the partitions
 * implement is in README.md beside this file.
 */
#include <linux/arm_ffa.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#define CMD_ECHO 1
#define CMD_MEM_CHECK 2
#define CMD_RELAY 3

/* Pages of the small share/lend, and of the share that needs FRAG_TX:
 * 300 one-page constituents of 16 bytes are more than a 4 KiB TX buffer holds. */
#define SMALL_PAGES 4
#define FRAG_PAGES 300

static const struct ffa_device_id hvrr_sp_ids[] = {
	{ UUID_INIT(0xfe18f6c1, 0xcfd1, 0x470b, 0x8d, 0x01, 0x6f, 0x50, 0xb8, 0x87, 0x9a, 0x96) }, /* SP1 hello */
	{ UUID_INIT(0x11b69ac8, 0xc48a, 0x40eb, 0xa6, 0xa0, 0xff, 0x79, 0xc7, 0xf1, 0x2c, 0xf7) }, /* SP2 irq */
	{ UUID_INIT(0x7241638b, 0x5200, 0x4f8a, 0xa3, 0x40, 0xd5, 0xd1, 0xf5, 0xaa, 0x11, 0xef) }, /* SP3 relay */
	{}
};
MODULE_DEVICE_TABLE(arm_ffa, hvrr_sp_ids);

struct tally {
	struct ffa_device *dev;
	int pass;
	int fail;
};

static void check(struct tally *t, bool ok, const char *what, const char *why, long v)
{
	if (ok) {
		t->pass++;
		pr_info("hvrr-ffa-client: PASS %s sp=0x%x\n", what, t->dev->vm_id);
	} else {
		t->fail++;
		pr_info("hvrr-ffa-client: FAIL %s sp=0x%x: %s (%ld)\n", what, t->dev->vm_id, why, v);
	}
}

static int request(struct ffa_device *dev, unsigned long cmd, unsigned long a,
		   unsigned long b, unsigned long c, unsigned long d,
		   struct ffa_send_direct_data *out)
{
	out->data0 = cmd;
	out->data1 = a;
	out->data2 = b;
	out->data3 = c;
	out->data4 = d;
	return dev->ops->msg_ops->sync_send_receive(dev, out);
}

static void echo(struct tally *t, const char *what)
{
	struct ffa_send_direct_data r;
	unsigned long mask = t->dev->mode_32bit ? 0xffffffffUL : ~0UL;
	unsigned long v = 0x0123456789abcdefUL & mask;
	int rc = request(t->dev, CMD_ECHO, v, ~v & mask, 7, t->dev->vm_id, &r);

	if (rc)
		check(t, false, what, "sync_send_receive failed", rc);
	else
		check(t, r.data0 == 0 && r.data1 == v && r.data2 == (~v & mask) &&
			 r.data3 == 7 && r.data4 == t->dev->vm_id,
		      what, "wrong echo", (long)r.data0);
}

/* Share or lend `n` single pages (one constituent each) filled with
 * `pattern`; the partition retrieves them, checks every page, writes
 * pattern + 1 at the start of each, relinquishes; then reclaim. */
static void memory(struct tally *t, bool lend, unsigned int n, u8 pattern, const char *what)
{
	struct page **pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	struct ffa_mem_region_attributes attr = {
		.receiver = t->dev->vm_id,
		.attrs = FFA_MEM_RW,
	};
	struct ffa_mem_ops_args args = { .use_txbuf = true, .nattrs = 1, .attrs = &attr };
	struct ffa_send_direct_data r;
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i, good = 0;
	bool allocated = false;
	int rc;

	if (!pages) {
		check(t, false, what, "no memory", -ENOMEM);
		return;
	}
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			goto out;
		memset(page_address(pages[i]), pattern, PAGE_SIZE);
	}
	if (sg_alloc_table(&sgt, n, GFP_KERNEL))
		goto out;
	allocated = true;
	/* One scatterlist entry per page: the driver sends one constituent each.
	 * More entries than fit in one page make a chained table: walk it with
	 * for_each_sg, never by index (sgt.sgl[i] past the first chunk is the
	 * chain link). */
	args.sg = sgt.sgl;
	for_each_sg(sgt.sgl, sg, n, i)
		sg_set_page(sg, pages[i], PAGE_SIZE, 0);
	rc = lend ? t->dev->ops->mem_ops->memory_lend(&args)
		  : t->dev->ops->mem_ops->memory_share(&args);
	if (rc) {
		check(t, false, what, lend ? "memory_lend failed" : "memory_share failed", rc);
		goto free_sg;
	}
	rc = request(t->dev, CMD_MEM_CHECK, args.g_handle, pattern, n, 0, &r);
	if (rc || r.data0 != 0 || r.data1 != n) {
		check(t, false, what, rc ? "sync_send_receive failed" : "partition rejected the region",
		      rc ? rc : (long)r.data0);
		t->dev->ops->mem_ops->memory_reclaim(args.g_handle, 0);
		goto free_sg;
	}
	rc = t->dev->ops->mem_ops->memory_reclaim(args.g_handle, 0);
	if (rc) {
		check(t, false, what, "memory_reclaim failed", rc);
		goto free_sg;
	}
	for (i = 0; i < n; i++)
		good += *(u8 *)page_address(pages[i]) == (u8)(pattern + 1);
	check(t, good == n, what, "pages not written by the partition", good);
free_sg:
	sg_free_table(&sgt);
out:
	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kfree(pages);
	if (!allocated)
		check(t, false, what, "no memory", -ENOMEM);
}

static int hvrr_ffa_probe(struct ffa_device *dev)
{
	struct tally t = { .dev = dev };

	pr_info("hvrr-ffa-client: partition 0x%x uuid %pUb, FF-A %u.%u\n", dev->vm_id, &dev->uuid,
		dev->ops->info_ops->api_version_get() >> 16, dev->ops->info_ops->api_version_get() & 0xffff);
	echo(&t, "direct-req-64");
	dev->ops->msg_ops->mode_32bit_set(dev);
	echo(&t, "direct-req-32");
	dev->mode_32bit = false;
	memory(&t, false, SMALL_PAGES, 0x5a, "mem-share");
	memory(&t, true, SMALL_PAGES, 0xa5, "mem-lend");
	memory(&t, false, FRAG_PAGES, 0x3c, "mem-share-frag-tx");
	pr_info("HVRR-FFA-CLIENT sp=0x%x pass=%d fail=%d\n", dev->vm_id, t.pass, t.fail);
	return 0;
}

static void hvrr_ffa_remove(struct ffa_device *dev)
{
}

static struct ffa_driver hvrr_ffa_driver = {
	.name = "hvrr-ffa-client",
	.probe = hvrr_ffa_probe,
	.remove = hvrr_ffa_remove,
	.id_table = hvrr_sp_ids,
};
module_ffa_driver(hvrr_ffa_driver);

MODULE_DESCRIPTION("hvrr FF-A test client");
MODULE_LICENSE("GPL");
