/* The NOR operations: read, program, erase, with rule checks, accounting and cut points. */
#include <string.h>

#include "flashsim/internal.h"

void fsim_emit_trace(struct fsim_device *dev, enum fsim_op_kind kind, uint64_t op, uint32_t off,
		     uint32_t len, int result, bool cut, const void *data)
{
	if (!dev->trace)
		return;
	struct fsim_trace_event ev = {kind, op, off, len, result, cut, data};
	dev->trace(dev->trace_ctx, &ev);
}

static bool in_range(const struct fsim_device *dev, uint32_t off, uint32_t len)
{
	return off <= dev->layout->size && len <= dev->layout->size - off;
}

/* First write-protected address in [off, off+len), or false. */
static bool protected_addr(const struct fsim_device *dev, uint32_t off, uint32_t len,
			   uint32_t *addr)
{
	for (size_t i = 0; i < dev->nparts; i++) {
		const struct fsim_partition *p = &dev->parts[i];
		if (!p->write_protected)
			continue;
		if (off < p->off + p->size && p->off < off + len) {
			*addr = off > p->off ? off : p->off;
			return true;
		}
	}
	return false;
}

int fsim_read(struct fsim_device *dev, uint32_t off, void *buf, uint32_t len)
{
	dev->stats.read_ops++;
	if (!in_range(dev, off, len)) {
		fsim_emit_trace(dev, FSIM_OP_READ, dev->stats.mutating_ops, off, len,
				FSIM_ERR_VIOLATION, false, NULL);
		return FSIM_ERR_VIOLATION;
	}
	fsim_copy_out(dev, off, buf, len);
	if (dev->weak.n)
		fsim_weak_apply(dev, off, buf, len);
	dev->stats.bytes_read += len;
	fsim_emit_trace(dev, FSIM_OP_READ, dev->stats.mutating_ops, off, len, FSIM_OK, false, NULL);
	return FSIM_OK;
}

int fsim_peek(const struct fsim_device *dev, uint32_t off, void *buf, uint32_t len)
{
	if (!in_range(dev, off, len))
		return FSIM_ERR_INVALID;
	fsim_copy_out(dev, off, buf, len);
	return FSIM_OK;
}

int fsim_load_bytes(struct fsim_device *dev, uint32_t off, const void *buf, uint32_t len)
{
	if (!in_range(dev, off, len))
		return FSIM_ERR_INVALID;
	fsim_store(dev, off, buf, len);
	return FSIM_OK;
}

/* Is every write unit of [off, off+len) fully erased? Reports the first unit that is not
 * (units count from their region's start). */
static bool units_erased(const struct fsim_device *dev, uint32_t off, uint32_t len,
			 uint32_t *bad)
{
	const struct fsim_layout *l = dev->layout;
	while (len) {
		uint32_t i = fsim_sector_index(l, off);
		uint32_t in = off - l->start[i];
		uint32_t n = l->start[i + 1] - off;
		if (n > len)
			n = len;
		if (dev->sec[i].buf) {
			const struct fsim_props *pr = fsim_sector_props(l, i);
			uint8_t ev = pr->erase_value;
			const uint8_t *d = dev->sec[i].buf->data + in;
			uint64_t ew = ev ? ~0ull : 0ull;
			uint32_t k = 0;
			for (; k + 8 <= n; k += 8) { /* words first: the common case is all erased */
				uint64_t w;
				memcpy(&w, d + k, 8);
				if (w != ew)
					break;
			}
			for (; k < n; k++) {
				if (d[k] != ev) {
					uint32_t rs = l->rstart[l->region[i]];
					*bad = rs + ((off + k - rs) & ~(pr->write_unit - 1));
					return false;
				}
			}
		}
		off += n;
		len -= n;
	}
	return true;
}

/* The region holding a (a < end <= size) and how many bytes of [a, end) lie in it. */
static uint32_t region_piece(const struct fsim_layout *l, uint32_t a, uint32_t end, uint32_t *n)
{
	uint32_t r = fsim_region_of(l, a);
	*n = (l->rstart[r + 1] < end ? l->rstart[r + 1] : end) - a;
	return r;
}

/* Offset and length a multiple of the write unit of every region the range touches,
 * counted from that region's start (on hardware each part counts from its own 0). */
static bool aligned(const struct fsim_layout *l, uint32_t off, uint32_t len)
{
	if (!l->mixed)
		return !((off | len) & (l->props[0].write_unit - 1));
	if (len == 0) {
		uint32_t r = fsim_region_of(l, off);
		return !((off - l->rstart[r]) & (l->props[r].write_unit - 1));
	}
	for (uint32_t a = off, n; a < off + len; a += n) {
		uint32_t r = region_piece(l, a, off + len, &n);
		if (((a - l->rstart[r]) | n) & (l->props[r].write_unit - 1))
			return false;
	}
	return true;
}

uint64_t fsim_program_time_ns(const struct fsim_layout *l, uint32_t off, uint32_t len)
{
	if (!l->mixed || len == 0) {
		const struct fsim_props *p = &l->props[0];
		return (uint64_t)((len + p->program_chunk - 1) / p->program_chunk) * p->program_ns;
	}
	uint64_t t = 0;
	for (uint32_t a = off, n; a < off + len; a += n) {
		const struct fsim_props *p = &l->props[region_piece(l, a, off + len, &n)];
		t += (uint64_t)((n + p->program_chunk - 1) / p->program_chunk) * p->program_ns;
	}
	return t;
}

uint32_t fsim_min_write_unit(const struct fsim_layout *l, uint32_t off, uint32_t len)
{
	uint32_t wu = l->props[fsim_region_of(l, off)].write_unit;
	for (uint32_t a = off, n; l->mixed && a < off + len; a += n) {
		uint32_t r = region_piece(l, a, off + len, &n);
		if (l->props[r].write_unit < wu)
			wu = l->props[r].write_unit;
	}
	return wu;
}

int fsim_program(struct fsim_device *dev, uint32_t off, const void *buf, uint32_t len)
{
	const struct fsim_layout *l = dev->layout;
	uint64_t op = dev->stats.mutating_ops++;
	dev->stats.program_ops++;

	enum fsim_violation_kind kind = 0;
	uint32_t addr = off;
	if (!in_range(dev, off, len))
		kind = FSIM_V_OUT_OF_RANGE;
	else if (!aligned(l, off, len))
		kind = FSIM_V_UNALIGNED;
	else if (protected_addr(dev, off, len, &addr))
		kind = FSIM_V_WRITE_PROTECTED;
	else if (!units_erased(dev, off, len, &addr))
		kind = FSIM_V_NOT_ERASED;

	if (dev->armed && dev->cut.op_index == op) {
		if (kind)
			fsim_fire_refused_cut(dev, FSIM_OP_PROGRAM, off, len);
		fsim_fire_program_cut(dev, off, buf, len);
	}

	if (kind) {
		fsim_record_violation(dev, op, kind, addr);
		fsim_emit_trace(dev, FSIM_OP_PROGRAM, op, off, len, FSIM_ERR_VIOLATION, false, buf);
		return FSIM_ERR_VIOLATION;
	}
	if (fsim_fault_program(dev, op, off, buf, len)) {
		fsim_emit_trace(dev, FSIM_OP_PROGRAM, op, off, len, FSIM_ERR_FAULT, false, buf);
		return FSIM_ERR_FAULT;
	}
	fsim_store(dev, off, buf, len);
	int rc = fsim_fault_after_program(dev, off, buf, len);
	dev->stats.bytes_programmed += len;
	dev->stats.busy_ns += fsim_program_time_ns(l, off, len);
	fsim_emit_trace(dev, FSIM_OP_PROGRAM, op, off, len, rc, false, buf);
	return rc;
}

int fsim_erase(struct fsim_device *dev, uint32_t off, uint32_t len)
{
	const struct fsim_layout *l = dev->layout;
	enum fsim_violation_kind kind = 0;
	uint32_t addr = off;
	if (!in_range(dev, off, len) || off == l->size)
		kind = FSIM_V_OUT_OF_RANGE;
	else if (len == 0 || l->start[fsim_sector_index(l, off)] != off ||
		 (off + len != l->size && l->start[fsim_sector_index(l, off + len)] != off + len))
		kind = FSIM_V_UNALIGNED;
	else if (protected_addr(dev, off, len, &addr))
		kind = FSIM_V_WRITE_PROTECTED;

	if (kind) {
		/* A refused erase is still one operation the code under test issued. */
		uint64_t op = dev->stats.mutating_ops++;
		dev->stats.erase_ops++;
		if (dev->armed && dev->cut.op_index == op)
			fsim_fire_refused_cut(dev, FSIM_OP_ERASE, off, len);
		fsim_record_violation(dev, op, kind, addr);
		fsim_emit_trace(dev, FSIM_OP_ERASE, op, off, len, FSIM_ERR_VIOLATION, false, NULL);
		return FSIM_ERR_VIOLATION;
	}

	/* One operation, and one cut point, per sector. */
	for (uint32_t i = fsim_sector_index(l, off); i < l->nsectors && l->start[i] < off + len; i++) {
		uint64_t op = dev->stats.mutating_ops++;
		dev->stats.erase_ops++;
		if (dev->armed && dev->cut.op_index == op)
			fsim_fire_erase_cut(dev, i);
		if (fsim_fault_erase(dev, op, i)) {
			dev->stats.busy_ns += (uint64_t)l->geo.regions[l->region[i]].erase_us * 1000;
			fsim_emit_trace(dev, FSIM_OP_ERASE, op, l->start[i],
					l->start[i + 1] - l->start[i], FSIM_ERR_FAULT, false, NULL);
			return FSIM_ERR_FAULT; /* the driver stops at the first sector that fails */
		}
		fsim_store_erased(dev, i);
		dev->sec[i].erases++;
		dev->stats.busy_ns += (uint64_t)l->geo.regions[l->region[i]].erase_us * 1000;
		fsim_emit_trace(dev, FSIM_OP_ERASE, op, l->start[i], l->start[i + 1] - l->start[i],
				FSIM_OK, false, NULL);
	}
	return FSIM_OK;
}
