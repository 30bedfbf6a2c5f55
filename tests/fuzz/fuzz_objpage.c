/*
 * fuzz_objpage.c: libFuzzer harness for the object directory's page
 * checks (obj_check_root, obj_check_dirpage, obj_decode_inode,
 * obj_check_indirect).
 *
 * Each input patches a valid page of one of five kinds and the check must
 * return 0 or EXO_ECORRUPT; what it accepts must be safe to walk: the
 * directory entries of an accepted page tile its used bytes exactly, an
 * accepted inode's name is NUL-free and its extents (inline) or
 * references (indirect) lie inside the object and ascend, and an accepted
 * indirect page's extents ascend from the expected logical block.
 * Input layout:
 *
 *   byte 0      the kind (mod 5): 0 root, 1 directory page, 2 inode with
 *               inline extents, 3 inode with indirect references,
 *               4 indirect page
 *   byte 1      bit 0: take the indirect page's expected id, count and
 *               first logical block from bytes 2..21 (else the template's)
 *   bytes 2-21  u64 id, u32 count, u64 lbn
 *   then        patches: u16 offset (into the 4 KiB page), u8 length,
 *               that many bytes
 *
 * A short input is a valid template.  Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obj.h"

#define BLK  EXO_BLOCK_SIZE
#define BD   OBJ_BLOCK_DATA
#define DENT 9 /* directory entry header: inode (8), name length (1) */
#define HDR  22

enum { ROOT, DIRPAGE, INODE, INODE_IND, INDIRECT, NKINDS };

static uint8_t *body(uint8_t *blk)
{
	return blk + CACHE_HDR;
}

static void template_root(uint8_t *blk)
{
	struct oroot_hdr h = { .magic = OROOT_MAGIC,
			       .nbuckets = OBJ_NBUCKETS, .next_id = 9 };
	exo_bno head = 777;

	memcpy(body(blk), &h, sizeof(h));
	memcpy(body(blk) + sizeof(h) + 5 * sizeof(head), &head, sizeof(head));
}

static void template_dir(uint8_t *blk)
{
	static const char *names[] = { "main.db", "main.db-wal", "x" };
	struct odir_hdr h = { .magic = ODIR_MAGIC, .nent = 3 };
	uint8_t *p = body(blk) + sizeof(h);
	uint64_t ino;
	size_t i, nl;

	for (i = 0; i < 3; i++) {
		ino = 500 + i;
		nl = strlen(names[i]);
		memcpy(p + h.used, &ino, 8);
		p[h.used + 8] = (uint8_t)nl;
		memcpy(p + h.used + DENT, names[i], nl);
		h.used = (uint16_t)(h.used + DENT + nl);
	}
	memcpy(body(blk), &h, sizeof(h));
}

static void template_inode(uint8_t *blk, int indirect)
{
	struct oinode_hdr h = { .magic = OINO_MAGIC, .id = 4,
				.size = 40 * BD + 100, .namelen = 7 };
	struct oext e[2] = { { .lbn = 0, .pbn = 900, .len = 3 },
			     { .lbn = 10, .pbn = 1200, .len = 31 } };
	struct oref r[2] = { { .lbn = 0, .bno = 950, .count = 30 },
			     { .lbn = 35, .bno = 951, .count = 2 } };

	memcpy(h.name, "main.db", 7);
	h.nextents = indirect ? 32 : 2;
	h.nind = indirect ? 2 : 0;
	memcpy(body(blk), &h, sizeof(h));
	if (indirect)
		memcpy(body(blk) + sizeof(h), r, sizeof(r));
	else
		memcpy(body(blk) + sizeof(h), e, sizeof(e));
}

static void template_inline(uint8_t *blk)
{
	template_inode(blk, 0);
}

static void template_ind(uint8_t *blk)
{
	template_inode(blk, 1);
}

static void template_indirect(uint8_t *blk)
{
	struct oind_hdr h = { .magic = OIND_MAGIC, .count = 3, .id = 4 };
	struct oext e[3] = { { .lbn = 35, .pbn = 2000, .len = 1 },
			     { .lbn = 36, .pbn = 2100, .len = 4 },
			     { .lbn = 90, .pbn = 2200, .len = 2 } };

	memcpy(body(blk), &h, sizeof(h));
	memcpy(body(blk) + sizeof(h), e, sizeof(e));
}

static void (*const templates[NKINDS])(uint8_t *) = {
	[ROOT] = template_root, [DIRPAGE] = template_dir,
	[INODE] = template_inline, [INODE_IND] = template_ind,
	[INDIRECT] = template_indirect,
};

/* Every template passes its check (else the harness is out of date). */
static void check_templates(void)
{
	static uint8_t blk[BLK];
	int k, rc;

	for (k = 0; k < NKINDS; k++) {
		memset(blk, 0, BLK);
		templates[k](blk);
		if (k == ROOT)
			rc = obj_check_root(blk, BLK);
		else if (k == DIRPAGE)
			rc = obj_check_dirpage(blk, BLK);
		else if (k == INDIRECT)
			rc = obj_check_indirect(blk, BLK, 4, 3, 35);
		else
			rc = obj_decode_inode(blk, BLK, NULL);
		if (rc != 0)
			abort();
	}
}

static void check_dir(uint8_t *blk)
{
	struct odir_hdr h;
	const uint8_t *p = body(blk) + sizeof(h);
	uint32_t off = 0, n = 0;

	memcpy(&h, body(blk), sizeof(h));
	while (off < h.used) {
		if (h.used - off < DENT || p[off + 8] == 0 ||
		    memchr(p + off + DENT, 0, p[off + 8]))
			abort();
		off += DENT + p[off + 8];
		n++;
	}
	if (off != h.used || n != h.nent || h.used > ODIR_SPACE)
		abort();
}

static void check_exts(const uint8_t *p, uint32_t n, uint64_t lo,
		       uint64_t hi)
{
	struct oext e;
	uint32_t i;

	for (i = 0; i < n; i++) {
		memcpy(&e, p + i * sizeof(e), sizeof(e));
		if (e.len == 0 || e.pbn == 0 || e.lbn < lo || e.lbn >= hi ||
		    hi - e.lbn < e.len)
			abort();
		lo = e.lbn + e.len;
	}
}

static void check_inode(uint8_t *blk)
{
	struct oinode_hdr h, out;
	uint64_t nb;
	struct oref r;
	uint64_t lo = 0, total = 0;
	uint32_t i;
	int rc = obj_decode_inode(blk, BLK, &out);

	if (rc == EXO_ECORRUPT)
		return;
	if (rc != 0)
		abort();
	memcpy(&h, body(blk), sizeof(h));
	nb = h.size / BD + (h.size % BD != 0);
	if (out.id != h.id || out.size != h.size || out.namelen == 0 ||
	    out.namelen > OBJ_NAME_MAX || out.name[out.namelen] != 0 ||
	    strlen(out.name) != out.namelen)
		abort();
	if (h.nind == 0) {
		if (h.nextents > OINO_NEXT)
			abort();
		check_exts(body(blk) + sizeof(h), h.nextents, 0, nb);
		return;
	}
	if (h.nind > OINO_NREF)
		abort();
	for (i = 0; i < h.nind; i++) {
		memcpy(&r, body(blk) + sizeof(h) + i * sizeof(r), sizeof(r));
		if (r.count == 0 || r.count > OIND_NEXT || r.bno == 0 ||
		    r.lbn < lo || r.lbn >= nb)
			abort();
		lo = r.lbn + 1;
		total += r.count;
	}
	if (total != h.nextents)
		abort();
}

static void check_indirect(uint8_t *blk, uint64_t id, uint32_t count,
			   uint64_t lbn)
{
	struct oind_hdr h;
	struct oext e;
	int rc = obj_check_indirect(blk, BLK, id, count, lbn);

	if (rc == EXO_ECORRUPT)
		return;
	if (rc != 0)
		abort();
	memcpy(&h, body(blk), sizeof(h));
	memcpy(&e, body(blk) + sizeof(h), sizeof(e));
	if (h.id != id || h.count != count || count == 0 ||
	    count > OIND_NEXT || e.lbn != lbn)
		abort();
	check_exts(body(blk) + sizeof(h), count, lbn, UINT64_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t blk[BLK];
	static int checked;
	int kind = size ? data[0] % NKINDS : ROOT;
	uint64_t id = 4, lbn = 35;
	uint32_t count = 3;
	size_t i, off, len;
	int rc;

	if (size >= HDR && (data[1] & 1)) {
		memcpy(&id, data + 2, 8);
		memcpy(&count, data + 10, 4);
		memcpy(&lbn, data + 14, 8);
	}
	if (!checked) {
		check_templates();
		checked = 1;
	}
	memset(blk, 0, BLK);
	templates[kind](blk);
	for (i = HDR; i + 3 <= size;) {
		off = (data[i] | (size_t)data[i + 1] << 8) % BLK;
		len = data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		if (len > BLK - off)
			len = BLK - off;
		memcpy(blk + off, data + i, len);
		i += len;
	}
	switch (kind) {
	case ROOT:
		rc = obj_check_root(blk, BLK);
		if (rc != 0 && rc != EXO_ECORRUPT)
			abort();
		break;
	case DIRPAGE:
		rc = obj_check_dirpage(blk, BLK);
		if (rc == 0)
			check_dir(blk);
		else if (rc != EXO_ECORRUPT)
			abort();
		break;
	case INODE:
	case INODE_IND:
		check_inode(blk);
		break;
	default:
		check_indirect(blk, id, count, lbn);
		break;
	}
	if (obj_check_root(blk, 100) != EXO_EINVAL)
		abort();
	return 0;
}
