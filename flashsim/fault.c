/* Flash errors: an op that fails and says so, a bit that will not program, a sector that
 * will not erase (flashsim.h, "Flash errors"). */
#include <stdint.h>

#include "flashsim/internal.h"

bool fsim_fault_is_erase(enum fsim_fault_kind k)
{
	return k == FSIM_FAULT_ERASE_ERROR || k == FSIM_FAULT_BAD_SECTOR;
}

const char *fsim_fault_name(enum fsim_fault_kind k)
{
	switch (k) {
	case FSIM_FAULT_PROGRAM_ERROR:
		return "program-error";
	case FSIM_FAULT_ERASE_ERROR:
		return "erase-error";
	case FSIM_FAULT_STUCK_BIT:
		return "stuck-bit";
	case FSIM_FAULT_BAD_SECTOR:
		return "bad-sector";
	case FSIM_FAULT_KINDS:
		break;
	}
	return "?";
}

void fsim_arm_fault(struct fsim_device *dev, const struct fsim_fault *f)
{
	dev->fault = *f;
	dev->fault_armed = true;
}

void fsim_clear_faults(struct fsim_device *dev)
{
	dev->fault_armed = false;
	dev->stuck = false;
	dev->bad_sector = UINT32_MAX;
}

static bool fires(struct fsim_device *dev, uint64_t op, bool erase)
{
	if (!dev->fault_armed || dev->fault.op_index != op ||
	    fsim_fault_is_erase(dev->fault.kind) != erase)
		return false;
	dev->fault_armed = false;
	return true;
}

int fsim_fault_program(struct fsim_device *dev, uint64_t op, uint32_t off, const uint8_t *buf,
		       uint32_t len)
{
	if (!fires(dev, op, false))
		return FSIM_OK;
	if (dev->fault.kind == FSIM_FAULT_PROGRAM_ERROR)
		return FSIM_ERR_FAULT;
	/* A stuck bit: one of the bits this op programs (a byte picked by the seed among those
	 * that differ from the erase value, its lowest such bit). */
	uint32_t candidates = 0;
	for (uint32_t i = 0; i < len; i++)
		candidates += buf[i] != fsim_erase_value_at(dev, off + i);
	if (!candidates)
		return FSIM_OK; /* nothing to program: nothing can stick */
	uint32_t pick = (uint32_t)(dev->fault.seed % candidates);
	for (uint32_t i = 0; i < len; i++) {
		uint8_t ev = fsim_erase_value_at(dev, off + i);
		if (buf[i] == ev || pick--)
			continue;
		uint8_t diff = (uint8_t)(buf[i] ^ ev);
		dev->stuck = true;
		dev->stuck_addr = off + i;
		dev->stuck_mask = (uint8_t)(diff & (uint8_t)-diff);
		break;
	}
	return FSIM_OK; /* stored, then fsim_fault_after_program takes the bit back */
}

int fsim_fault_after_program(struct fsim_device *dev, uint32_t off, const uint8_t *buf,
			     uint32_t len)
{
	if (!dev->stuck || dev->stuck_addr < off || dev->stuck_addr - off >= len)
		return FSIM_OK;
	uint8_t ev = fsim_erase_value_at(dev, dev->stuck_addr);
	uint8_t want = buf[dev->stuck_addr - off];
	if (((want ^ ev) & dev->stuck_mask) == 0)
		return FSIM_OK; /* this program leaves the stuck bit alone */
	uint8_t got = (uint8_t)((want & ~dev->stuck_mask) | (ev & dev->stuck_mask));
	fsim_store(dev, dev->stuck_addr, &got, 1);
	return FSIM_ERR_FAULT; /* the program does not verify */
}

int fsim_fault_erase(struct fsim_device *dev, uint64_t op, uint32_t sector)
{
	if (fires(dev, op, true)) {
		if (dev->fault.kind == FSIM_FAULT_BAD_SECTOR)
			dev->bad_sector = sector;
		return FSIM_ERR_FAULT;
	}
	return sector == dev->bad_sector ? FSIM_ERR_FAULT : FSIM_OK;
}
