/*
 * Deliberately broken miniature bootloaders, as firmware plug-ins
 * (include/brownout/firmware.h): test fixtures only, never part of the product. Each
 * installs the upgrade slot's image into the primary, sector by sector, and carries one
 * bug class that real bootloaders shipped, chosen with the option `bug`:
 *
 *   torn-record   progress records {12-byte magic, u32 count} recognised by their first
 *                 word only, so a torn record is trusted with a garbage count (the
 *                 torn-trailer-magic family: MCUboot issue 1966, littlefs 245);
 *   ram-progress  the request consumed before the copy, the install in progress kept in a
 *                 static variable, as if RAM survived a reset (harmless in a simulator
 *                 that keeps globals, MCUboot issue 1588; brownout restores the plug-in's
 *                 .data/.bss at every power-on, so a cut mid-copy leaves a hybrid);
 *   erase-first   an in-place swap that erases a sector whose only other copy is in RAM,
 *                 so a cut there loses it;
 *   fake-fallback an install interrupted by a cut "falls back" to the recovery image for
 *                 good, leaving the primary half-written: a broken install hidden behind
 *                 what looks like a fall-back, which the sweep must not count as a
 *                 harmless false positive (I6);
 *   abort-on-resume asserts (abort()) when it finds an interrupted install: brownout must
 *                 report a firmware abort for those cuts, not crash.
 *
 * Layout: records live in the primary's last sector; the request is a record in the
 * upgrade slot's last sector. The primary is booted without verification (as bootloaders
 * that skip primary validation do), so a half-installed image shows up as a hybrid.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brownout/firmware.h"

#define REC_SIZE 16u
static const uint8_t start_magic[12] = "BROKENSTART";
static const uint8_t prog_magic[12] = "BROKENPROGR";
static const uint8_t req_magic[12] = "BROKENREQST";

enum bug { TORN_RECORD, RAM_PROGRESS, ERASE_FIRST, FAKE_FALLBACK, ABORT_ON_RESUME };

/* Chosen by configure(): kept across power-ons like a build option. */
static enum bug bug;
/* RAM_PROGRESS: sectors of the install in progress, in RAM only (0: none). */
static uint32_t pending_in_ram;
/* ERASE_FIRST: the sector being swapped. */
static uint8_t swap_buf[4096];

struct slots {
	const struct bro_device *dev;
	const struct bro_partition *pri, *up;
	uint32_t sector; /* uniform sector size */
};

static struct slots slots_of(const struct bro_env *env)
{
	const struct bro_device *d = env->dev;
	return (struct slots){d, bro_partition_find(d, "primary"), bro_partition_find(d, "upgrade"),
			      d->flash[0].regions[0].size};
}

static uint32_t meta(const struct slots *s, const struct bro_partition *p)
{
	return p->off + p->size - s->sector;
}

static int rd(const struct slots *s, uint32_t off, void *buf, uint32_t len)
{
	return s->dev->read(s->dev->host, 0, off, buf, len);
}

static int pr(const struct slots *s, uint32_t off, const void *buf, uint32_t len)
{
	return s->dev->program(s->dev->host, 0, off, buf, len);
}

static int er(const struct slots *s, uint32_t off, uint32_t len)
{
	return s->dev->erase(s->dev->host, 0, off, len);
}

/* Record i of p's meta sector: 1 when valid (value set), 0 when absent. */
static int read_record(const struct slots *s, const struct bro_partition *p, uint32_t i,
		       const uint8_t magic[12], uint32_t *value)
{
	uint8_t rec[REC_SIZE];
	if (rd(s, meta(s, p) + i * REC_SIZE, rec, REC_SIZE))
		return 0;
	/* The bug of torn-record: only the first word is compared. */
	size_t checked = bug == TORN_RECORD ? 4 : 12;
	if (memcmp(rec, magic, checked))
		return 0;
	memcpy(value, rec + 12, 4);
	return 1;
}

static int write_record(const struct slots *s, const struct bro_partition *p, uint32_t i,
			const uint8_t magic[12], uint32_t value)
{
	uint8_t rec[REC_SIZE];
	memcpy(rec, magic, 12);
	memcpy(rec + 12, &value, 4);
	return pr(s, meta(s, p) + i * REC_SIZE, rec, REC_SIZE);
}

static void copy_sector(const struct slots *s, uint32_t from, uint32_t to)
{
	uint8_t buf[1024];
	for (uint32_t k = 0; k < s->sector; k += sizeof buf) {
		rd(s, from + k, buf, sizeof buf);
		pr(s, to + k, buf, sizeof buf);
	}
}

/* Bytes of the MCUboot image at off (header, payload, protected and plain TLVs); 0: none. */
static uint32_t image_len(const struct slots *s, uint32_t off)
{
	uint8_t h[16], t[4];
	if (rd(s, off, h, sizeof h))
		return 0;
	uint32_t magic = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
	uint32_t hdr = h[8] | h[9] << 8, prot = h[10] | h[11] << 8;
	uint32_t img = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
	if (magic != 0x96f3b83du || img > (1u << 24) || rd(s, off + hdr + img + prot, t, 4))
		return 0;
	return (t[0] | t[1] << 8) == 0x6907 ? hdr + img + prot + (t[2] | t[3] << 8) : 0;
}

static void install(const struct slots *s, uint32_t sectors, uint32_t done)
{
	const struct bro_partition *p = s->pri, *u = s->up;
	uint32_t z = s->sector;
	for (uint32_t i = done; i < sectors; i++) {
		uint32_t off = i * z;
		if (bug == ERASE_FIRST && z <= sizeof swap_buf) {
			/* Swap in place: the old primary sector exists only in RAM while the
			 * upgrade sector is erased and rewritten. */
			rd(s, p->off + off, swap_buf, z);
			er(s, p->off + off, z);
			copy_sector(s, u->off + off, p->off + off);
			er(s, u->off + off, z);
			pr(s, u->off + off, swap_buf, z);
		} else {
			er(s, p->off + off, z);
			copy_sector(s, u->off + off, p->off + off);
		}
		if (bug != RAM_PROGRESS)
			write_record(s, p, 1 + i, prog_magic, i + 1);
	}
	/* Done: consume the request, then forget the records. */
	er(s, meta(s, u), z);
	er(s, meta(s, p), z);
}

static int mini_boot(const struct bro_env *env, struct bro_boot_result *res)
{
	struct slots s = slots_of(env);
	uint32_t z = s.sector, max_sectors = (meta(&s, s.pri) - s.pri->off) / z, sectors, v;
	if (bug == RAM_PROGRESS && pending_in_ram) {
		install(&s, pending_in_ram, 0); /* the bug: trusts RAM across a reset */
		pending_in_ram = 0;
		strcpy(res->reason, "resumed from RAM");
	} else if (read_record(&s, s.pri, 0, start_magic, &sectors)) {
		const struct bro_partition *rec = bro_partition_find(env->dev, "recovery");
		if (bug == ABORT_ON_RESUME)
			abort(); /* "assert(!interrupted)" */
		if (bug == FAKE_FALLBACK && rec) {
			/* The bug: an interrupted install "falls back" to the recovery image for
			 * good, leaving the primary half-written. */
			strcpy(res->reason, "fell back to recovery");
			res->booted = image_len(&s, rec->off) != 0;
			res->off = rec->off;
			return 0;
		} else {
			if (sectors > max_sectors)
				sectors = max_sectors;
			uint32_t done = 0;
			for (uint32_t i = 1; i <= sectors && read_record(&s, s.pri, i, prog_magic, &v); i++)
				done = v;
			install(&s, sectors, done < sectors ? done : sectors);
			strcpy(res->reason, "resumed");
		}
	} else if (read_record(&s, s.up, 0, req_magic, &v)) {
		uint32_t len = image_len(&s, s.up->off);
		if (len && len <= meta(&s, s.up) - s.up->off) {
			sectors = (len + z - 1) / z;
			if (bug == RAM_PROGRESS) {
				er(&s, meta(&s, s.up), z); /* consumed: from now on only RAM knows */
				pending_in_ram = sectors;
			} else {
				er(&s, meta(&s, s.pri), z);
				write_record(&s, s.pri, 0, start_magic, sectors);
			}
			install(&s, sectors, 0);
			pending_in_ram = 0;
			strcpy(res->reason, "installed");
		}
	}
	res->booted = image_len(&s, s.pri->off) != 0;
	res->off = s.pri->off;
	return 0;
}

static int mini_request(const struct bro_env *env, int permanent)
{
	(void)permanent;
	struct slots s = slots_of(env);
	if (er(&s, meta(&s, s.up), s.sector)) /* a stale or torn request */
		return -1;
	return write_record(&s, s.up, 0, req_magic, 1);
}

static int mini_confirm(const struct bro_env *env)
{
	(void)env;
	return 0;
}

static int mini_state(const struct bro_env *env, struct bro_app_state *out)
{
	(void)env;
	out->confirmed = 1;
	return 0;
}

static int mini_configure(const struct bro_env *env, const struct bro_option *opts, unsigned n,
			  char *err, size_t errlen)
{
	static const char *const names[] = {"torn-record", "ram-progress", "erase-first",
					    "fake-fallback", "abort-on-resume"};
	(void)env;
	for (unsigned i = 0; i < n; i++) {
		int found = 0;
		for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
			if (!strcmp(opts[i].key, "bug") && !strcmp(opts[i].value, names[k])) {
				bug = (enum bug)k;
				found = 1;
			}
		if (!found) {
			strncpy(err, "option bug: torn-record | ram-progress | erase-first | fake-fallback | abort-on-resume",
				errlen - 1);
			err[errlen - 1] = '\0';
			return -1;
		}
	}
	return 0;
}

static const struct bro_firmware broken = {
	.abi = BRO_FIRMWARE_ABI,
	.name = "broken miniature",
	.configure = mini_configure,
	.boot = mini_boot,
	.request_upgrade = mini_request,
	.confirm = mini_confirm,
	.state = mini_state,
};

const struct bro_firmware *brownout_firmware(void);
const struct bro_firmware *brownout_firmware(void)
{
	return &broken;
}
