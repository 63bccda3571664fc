/*
 * A complete, minimal firmware under test for brownout (include/brownout/firmware.h):
 * an overwrite-only bootloader in about 200 lines, the README's example. Build it out of
 * tree with
 *
 *     cc -shared -fPIC -o example-boot.so example_plugin.c $(pkg-config --cflags --libs brownout)
 *
 * Layout: partitions "primary" and "upgrade" of equal size; the last sector of each is
 * this bootloader's: in the upgrade slot it holds the application's request, in the
 * primary the install's progress records. Every record is 16 bytes {magic, value, tag,
 * check}, appended to an erased slot and trusted only when its check matches, so a torn
 * record reads as absent and the next one goes into the next slot.
 *
 * Boot: finish an install whose start record is there (resume after the last sector a
 * record says is done); else start one when a request is there and the upgrade image
 * verifies (SHA-256 TLV); then run the primary if it verifies, else report nothing
 * bootable. It also keeps a boot counter in a static variable and fails if a power-on
 * ever finds it non-zero: brownout restores .data/.bss at every power-on, as a device's
 * start-up code does, and this proves it.
 */
#include <stdint.h>
#include <string.h>

#include <brownout/firmware.h>

#define REC 16u
#define TAG_REQUEST 0x52455155u /* "REQU" */
#define TAG_START 0x53544152u   /* "STAR": value = sectors to copy */
#define TAG_DONE 0x444f4e45u    /* "DONE": value = sector index copied */

static unsigned boots_since_power_on; /* must be 0 at every boot: RAM is reset */

struct rec {
	uint32_t magic, value, tag, check;
};

static uint32_t check_of(const struct rec *r)
{
	return (r->magic ^ 0x9e3779b9u) * 31u + r->value * 7u + (r->tag ^ 0x5bd1e995u);
}

static uint32_t last_sector(const struct bro_device *dev, const struct bro_partition *p)
{
	const struct bro_flash *f = &dev->flash[p->flash];
	uint32_t base = 0, end = p->off + p->size - 1;
	for (unsigned i = 0; i < f->nregions; i++) {
		uint32_t span = f->regions[i].size * f->regions[i].count;
		if (end < base + span)
			return base + (end - base) / f->regions[i].size * f->regions[i].size;
		base += span;
	}
	return p->off;
}

/* Record slot i of p's last sector: 1 valid, 0 erased, -1 anything else (torn, stray). */
static int read_rec(const struct bro_device *dev, const struct bro_partition *p, uint32_t i,
		    struct rec *r)
{
	uint32_t at = last_sector(dev, p) + i * REC;
	if (at + REC > p->off + p->size || dev->read(dev->host, p->flash, at, r, REC))
		return -1;
	const uint8_t *b = (const uint8_t *)r;
	int erased = 1;
	for (unsigned k = 0; k < REC; k++)
		erased &= b[k] == dev->flash[p->flash].erase_value;
	if (erased)
		return 0;
	return r->magic == 0xb0075eedu && r->check == check_of(r) ? 1 : -1;
}

/* Append a record after the last slot that is not erased. */
static int append_rec(const struct bro_device *dev, const struct bro_partition *p, uint32_t tag,
		      uint32_t value)
{
	struct rec r;
	uint32_t next = 0, slots = (p->off + p->size - last_sector(dev, p)) / REC;
	for (uint32_t i = 0; i < slots; i++)
		if (read_rec(dev, p, i, &r) != 0)
			next = i + 1;
	r = (struct rec){0xb0075eedu, value, tag, 0};
	r.check = check_of(&r);
	uint32_t at = last_sector(dev, p) + next * REC;
	if (at + REC > p->off + p->size)
		return -1;
	return dev->program(dev->host, p->flash, at, &r, REC);
}

/* Find a valid record with tag (for DONE: the highest sector done, plus one). */
static int find_rec(const struct bro_device *dev, const struct bro_partition *p, uint32_t tag,
		    uint32_t *value)
{
	struct rec r;
	int found = 0;
	uint32_t slots = (p->off + p->size - last_sector(dev, p)) / REC;
	for (uint32_t i = 0; i < slots; i++)
		if (read_rec(dev, p, i, &r) == 1 && r.tag == tag && (!found || r.value + 1 > *value)) {
			*value = tag == TAG_DONE ? r.value + 1 : r.value;
			found = 1;
		}
	return found;
}

static int erase_meta(const struct bro_device *dev, const struct bro_partition *p)
{
	uint32_t ls = last_sector(dev, p);
	return dev->erase(dev->host, p->flash, ls, p->off + p->size - ls);
}

/* The MCUboot image at the start of p: its length and whether its SHA-256 TLV matches. */
static int image_ok(const struct bro_device *dev, const struct bro_partition *p, uint32_t *len)
{
	uint8_t h[32], t[4], want[32], got[32];
	if (dev->read(dev->host, p->flash, p->off, h, sizeof h))
		return 0;
	uint32_t magic = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
	uint32_t hdr = h[8] | h[9] << 8, prot = h[10] | h[11] << 8;
	uint32_t img = h[12] | h[13] << 8 | h[14] << 16 | (uint32_t)h[15] << 24;
	if (magic != 0x96f3b83du || hdr + img + prot + 4 > last_sector(dev, p) - p->off)
		return 0;
	uint32_t at = p->off + hdr + img + prot; /* the unprotected TLV area */
	if (dev->read(dev->host, p->flash, at, t, 4) || (t[0] | t[1] << 8) != 0x6907)
		return 0;
	uint32_t end = at + (t[2] | t[3] << 8);
	for (uint32_t k = at + 4; k + 4 <= end;) { /* TLVs: type u16, len u16, value */
		if (dev->read(dev->host, p->flash, k, t, 4) || end > last_sector(dev, p))
			return 0;
		uint32_t type = t[0] | t[1] << 8, l = t[2] | t[3] << 8;
		if (type == 0x10 && l == 32 && !dev->read(dev->host, p->flash, k + 4, want, 32)) {
			uint8_t buf[256];
			dev->sha256_start(dev->host);
			for (uint32_t o = 0; o < hdr + img + prot; o += sizeof buf) {
				uint32_t n = hdr + img + prot - o < sizeof buf ? hdr + img + prot - o
									       : (uint32_t)sizeof buf;
				if (dev->read(dev->host, p->flash, p->off + o, buf, n))
					return 0;
				dev->sha256_update(dev->host, buf, n);
			}
			dev->sha256_finish(dev->host, got);
			*len = end - p->off;
			return !memcmp(want, got, 32);
		}
		k += 4 + l;
	}
	return 0;
}

static int copy_sectors(const struct bro_device *dev, const struct bro_partition *dst,
			const struct bro_partition *src, uint32_t from, uint32_t count)
{
	uint32_t sz = dev->flash[dst->flash].regions[0].size; /* uniform sectors assumed */
	uint8_t buf[512];
	for (uint32_t s = from; s < count; s++) {
		if (dev->erase(dev->host, dst->flash, dst->off + s * sz, sz))
			return -1;
		for (uint32_t o = 0; o < sz; o += sizeof buf)
			if (dev->read(dev->host, src->flash, src->off + s * sz + o, buf, sizeof buf) ||
			    dev->program(dev->host, dst->flash, dst->off + s * sz + o, buf, sizeof buf))
				return -1;
		if (append_rec(dev, dst, TAG_DONE, s))
			return -1;
	}
	return 0;
}

static int ex_boot(const struct bro_env *env, struct bro_boot_result *out)
{
	const struct bro_device *dev = env->dev;
	const struct bro_partition *pri = bro_partition_find(dev, "primary");
	const struct bro_partition *up = bro_partition_find(dev, "upgrade");
	if (boots_since_power_on++ != 0)
		dev->fail(dev->host, "a static survived the power cut");
	uint32_t sectors, done = 0, len, req;
	uint32_t sz = dev->flash[pri->flash].regions[0].size;
	if (find_rec(dev, pri, TAG_START, &sectors)) {
		find_rec(dev, pri, TAG_DONE, &done);
		if (copy_sectors(dev, pri, up, done, sectors) || erase_meta(dev, up) ||
		    erase_meta(dev, pri))
			return -1;
		strcpy(out->reason, "resumed the install");
	} else if (find_rec(dev, up, TAG_REQUEST, &req) && image_ok(dev, up, &len)) {
		sectors = (len + sz - 1) / sz;
		if (erase_meta(dev, pri) || append_rec(dev, pri, TAG_START, sectors) ||
		    copy_sectors(dev, pri, up, 0, sectors) || erase_meta(dev, up) ||
		    erase_meta(dev, pri))
			return -1;
		strcpy(out->reason, "installed the upgrade");
	}
	out->booted = image_ok(dev, pri, &len);
	out->flash = pri->flash;
	out->off = pri->off;
	return 0;
}

static int ex_request(const struct bro_env *env, int permanent)
{
	(void)permanent; /* overwrite only: every upgrade is permanent */
	const struct bro_partition *up = bro_partition_find(env->dev, "upgrade");
	return erase_meta(env->dev, up) || append_rec(env->dev, up, TAG_REQUEST, 1) ? -1 : 0;
}

static int ex_confirm(const struct bro_env *env)
{
	(void)env; /* nothing runs on trial */
	return 0;
}

static int ex_state(const struct bro_env *env, struct bro_app_state *out)
{
	(void)env;
	out->confirmed = 1;
	return 0;
}

static int ex_configure(const struct bro_env *env, const struct bro_option *opts, unsigned n,
			char *err, size_t errlen)
{
	const struct bro_partition *pri = bro_partition_find(env->dev, "primary");
	const struct bro_partition *up = bro_partition_find(env->dev, "upgrade");
	const char *why = n ? "takes no options"
			  : !pri || !up ? "needs 'primary' and 'upgrade' partitions"
			  : pri->size != up->size ? "needs slots of equal size"
			  : env->dev->flash[0].nregions != 1 ? "needs uniform sectors"
							     : NULL;
	(void)opts;
	if (why) {
		strncpy(err, why, errlen - 1);
		err[errlen - 1] = '\0';
		return -1;
	}
	return 0;
}

static const struct bro_firmware example = {
	.abi = BRO_FIRMWARE_ABI,
	.name = "example overwrite bootloader",
	.configure = ex_configure,
	.boot = ex_boot,
	.request_upgrade = ex_request,
	.confirm = ex_confirm,
	.state = ex_state,
};

const struct bro_firmware *brownout_firmware(void);
const struct bro_firmware *brownout_firmware(void)
{
	return &example;
}
