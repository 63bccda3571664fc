/*
 * Deliberately broken miniature bootloaders: test fixtures only, never linked into the
 * product. Each installs the upgrade slot's image into the primary, sector by sector, and
 * carries one bug class that real bootloaders shipped:
 *
 *   BROKEN_TORN_RECORD   progress records {12-byte magic, u32 count} recognised by their
 *                        first word only, so a torn record is trusted with a garbage count
 *                        (the torn-trailer-magic family: MCUboot issue 1966, littlefs 245);
 *   BROKEN_RAM_PROGRESS  the copy position kept in RAM across a reset, as if RAM survived
 *                        (harmless in a simulator that keeps globals: MCUboot issue 1588);
 *   BROKEN_ERASE_FIRST   an in-place swap that erases a sector whose only other copy is in
 *                        RAM, so a cut there loses it.
 *
 * Layout: records live in the primary's last sector; the request is the MCUboot magic in
 * the upgrade slot's trailer. The primary is booted without verification (as bootloaders
 * that skip primary validation do), so a half-installed image shows up as a hybrid.
 */
#include <string.h>

#include "core/boot/trailer.h"
#include "tests/engine/broken_boot.h"

#define REC_SIZE 16u
static const uint8_t start_magic[12] = "BROKENSTART";
static const uint8_t prog_magic[12] = "BROKENPROGR";

struct mini_ram {
	uint32_t done;      /* BROKEN_RAM_PROGRESS: the copy position, in RAM only */
	uint8_t buf[4096];  /* BROKEN_ERASE_FIRST: the sector being swapped */
};

static enum broken_kind kind_of(const struct sweep_node *n)
{
	return (enum broken_kind)(n->w->firmware == &broken_firmware[BROKEN_TORN_RECORD]    ? BROKEN_TORN_RECORD
				  : n->w->firmware == &broken_firmware[BROKEN_RAM_PROGRESS] ? BROKEN_RAM_PROGRESS
											    : BROKEN_ERASE_FIRST);
}

static uint32_t sector_size(const struct bo_flash_area *a)
{
	uint32_t start, size;
	return bo_area_sector(a, 0, &start, &size) ? 4096 : size;
}

static uint32_t meta_off(const struct bo_flash_area *a)
{
	return a->size - sector_size(a);
}

/* Record i of the primary's meta sector: 1 when valid (value set), 0 when absent. */
static int read_record(struct sweep_node *n, uint32_t i, const uint8_t magic[12], uint32_t *value)
{
	uint8_t rec[REC_SIZE];
	const struct bo_flash_area *p = &n->cfg.primary;
	if (bo_area_read(p, meta_off(p) + i * REC_SIZE, rec, REC_SIZE))
		return 0;
	/* The bug of BROKEN_TORN_RECORD: only the first word is compared. */
	size_t checked = kind_of(n) == BROKEN_TORN_RECORD ? 4 : 12;
	if (memcmp(rec, magic, checked))
		return 0;
	memcpy(value, rec + 12, 4);
	return 1;
}

static int write_record(struct sweep_node *n, uint32_t i, const uint8_t magic[12], uint32_t value)
{
	uint8_t rec[REC_SIZE];
	memcpy(rec, magic, 12);
	memcpy(rec + 12, &value, 4);
	const struct bo_flash_area *p = &n->cfg.primary;
	return bo_area_program(p, meta_off(p) + i * REC_SIZE, rec, REC_SIZE);
}

static int copy_sector(struct sweep_node *n, const struct bo_flash_area *src,
		       const struct bo_flash_area *dst, uint32_t off, uint32_t len)
{
	uint8_t buf[1024];
	for (uint32_t k = 0; k < len; k += sizeof buf) {
		if (bo_area_read(src, off + k, buf, sizeof buf) ||
		    bo_area_program(dst, off + k, buf, sizeof buf))
			return -1;
	}
	(void)n;
	return 0;
}

static bool request_pending(struct sweep_node *n)
{
	struct bo_swap_state st;
	return bo_trailer_read_state(&n->cfg.upgrade, 8, &st) == 0 && st.magic == BO_MAGIC_GOOD;
}

static void install(struct sweep_node *n, uint32_t sectors, uint32_t done)
{
	struct mini_ram *ram = n->ram;
	const struct bo_flash_area *p = &n->cfg.primary, *s = &n->cfg.upgrade;
	uint32_t z = sector_size(p);
	for (uint32_t i = done; i < sectors; i++) {
		uint32_t off = i * z;
		if (kind_of(n) == BROKEN_ERASE_FIRST) {
			/* Swap in place: the old primary sector exists only in RAM while the
			 * upgrade sector is erased and rewritten. */
			bo_area_read(p, off, ram->buf, z);
			bo_area_erase(p, off, z);
			copy_sector(n, s, p, off, z);
			bo_area_erase(s, off, z);
			bo_area_program(s, off, ram->buf, z);
		} else {
			bo_area_erase(p, off, z);
			copy_sector(n, s, p, off, z);
		}
		if (kind_of(n) == BROKEN_RAM_PROGRESS)
			ram->done = i + 1;
		else
			write_record(n, 1 + i, prog_magic, i + 1);
	}
	/* Done: consume the request, then forget the records. */
	bo_area_erase(s, meta_off(s), s->size - meta_off(s));
	bo_area_erase(p, meta_off(p), p->size - meta_off(p));
}

static int mini_boot(struct sweep_node *n, struct bo_boot_result *res)
{
	struct mini_ram *ram = n->ram;
	const struct bo_flash_area *p = &n->cfg.primary;
	uint32_t z = sector_size(p), max_sectors = meta_off(p) / z, sectors;
	memset(res, 0, sizeof *res);
	if (read_record(n, 0, start_magic, &sectors)) {
		if (sectors > max_sectors)
			sectors = max_sectors;
		uint32_t done = 0;
		if (kind_of(n) == BROKEN_RAM_PROGRESS) {
			done = ram->done; /* the bug: trusts RAM across a reset */
		} else {
			uint32_t v;
			for (uint32_t i = 1; i <= sectors && read_record(n, i, prog_magic, &v); i++)
				done = v;
		}
		install(n, sectors, done < sectors ? done : sectors);
		res->action = BO_ACT_RESUMED;
	} else if (request_pending(n)) {
		struct bo_image_header h;
		struct bo_image_info info;
		if (bo_image_read_header(&n->cfg.upgrade, &h) == BO_IMG_OK &&
		    bo_image_parse(&n->cfg.upgrade, meta_off(&n->cfg.upgrade), &info) == BO_IMG_OK) {
			sectors = (info.total_size + z - 1) / z;
			bo_area_erase(p, meta_off(p), p->size - meta_off(p));
			write_record(n, 0, start_magic, sectors);
			ram->done = 0;
			install(n, sectors, 0);
			res->action = BO_ACT_INSTALLED;
		}
	}
	struct bo_image_header h;
	if (bo_image_read_header(p, &h) != BO_IMG_OK ||
	    bo_image_parse(p, meta_off(p), &res->image) != BO_IMG_OK) {
		res->slot = BO_SLOT_NONE;
		return 0;
	}
	res->slot = BO_SLOT_PRIMARY;
	return 0;
}

static int mini_request(struct sweep_node *n, bool permanent)
{
	(void)permanent;
	const struct bo_flash_area *s = &n->cfg.upgrade;
	struct bo_trailer_layout tl;
	uint8_t block[64];
	bo_trailer_layout(s->size, 8, &tl);
	if (bo_area_erase(s, meta_off(s), s->size - meta_off(s))) /* a stale or torn request */
		return -1;
	size_t len = bo_trailer_build_magic(block, sizeof block, 8, s->flash->erase_value);
	return bo_area_program(s, tl.magic_block_off, block, (uint32_t)len);
}

static int mini_confirm(struct sweep_node *n)
{
	(void)n;
	return 0;
}

static int mini_state(struct sweep_node *n, struct bo_app_state *out)
{
	memset(out, 0, sizeof *out);
	out->confirmed = true;
	out->upgrade_pending = request_pending(n);
	return 0;
}

const struct sweep_firmware broken_firmware[BROKEN_KINDS] = {
	{sizeof(struct mini_ram), mini_boot, mini_request, mini_confirm, mini_state},
	{sizeof(struct mini_ram), mini_boot, mini_request, mini_confirm, mini_state},
	{sizeof(struct mini_ram), mini_boot, mini_request, mini_confirm, mini_state},
};
