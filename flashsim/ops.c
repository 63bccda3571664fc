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

/* Is every write unit of [off, off+len) fully erased? Reports the first unit that is not. */
static bool units_erased(const struct fsim_device *dev, uint32_t off, uint32_t len,
			 uint32_t *bad)
{
	const struct fsim_layout *l = dev->layout;
	uint8_t ev = l->geo.erase_value;
	while (len) {
		uint32_t i = fsim_sector_index(l, off);
		uint32_t in = off - l->start[i];
		uint32_t n = l->start[i + 1] - off;
		if (n > len)
			n = len;
		if (dev->sec[i].buf) {
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
					uint32_t wu = l->geo.write_unit;
					*bad = (off + k) & ~(wu - 1);
					return false;
				}
			}
		}
		off += n;
		len -= n;
	}
	return true;
}

static uint64_t program_time_ns(const struct fsim_geometry *g, uint32_t len)
{
	uint64_t chunks = (len + g->program_chunk - 1) / g->program_chunk;
	return chunks * g->program_ns;
}

int fsim_program(struct fsim_device *dev, uint32_t off, const void *buf, uint32_t len)
{
	const struct fsim_geometry *g = &dev->layout->geo;
	uint64_t op = dev->stats.mutating_ops++;
	dev->stats.program_ops++;

	enum fsim_violation_kind kind = 0;
	uint32_t addr = off;
	if (!in_range(dev, off, len))
		kind = FSIM_V_OUT_OF_RANGE;
	else if ((off | len) & (g->write_unit - 1))
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
	dev->stats.busy_ns += program_time_ns(g, len);
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
