/* core/dfu/msg.c: mesh opcodes and the message dispatch (see msg.h). */
#include "core/dfu/msg.h"

int bo_mesh_opcode_len(uint32_t opcode)
{
	if (opcode < 0x7f)
		return 1;
	if (opcode >= 0x8000 && opcode <= 0xbfff)
		return 2;
	if (opcode >= 0xc00000 && opcode <= 0xffffff)
		return 3;
	return BO_DFU_E_OPCODE;
}

int bo_mesh_opcode_encode(uint32_t opcode, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	bo_wire_writer_init(&w, buf, cap);
	switch (bo_mesh_opcode_len(opcode)) {
	case 1:
		bo_wire_put_u8(&w, (uint8_t)opcode);
		break;
	case 2:
		bo_wire_put_u8(&w, (uint8_t)(opcode >> 8));
		bo_wire_put_u8(&w, (uint8_t)opcode);
		break;
	case 3:
		bo_wire_put_u8(&w, (uint8_t)(opcode >> 16));
		bo_wire_put_le16(&w, (uint16_t)opcode);
		break;
	default:
		return BO_DFU_E_OPCODE;
	}
	return bo_wire_writer_result(&w);
}

int bo_mesh_opcode_decode(const uint8_t *pdu, size_t len, uint32_t *opcode)
{
	struct bo_wire_reader r;
	uint8_t b0;

	bo_wire_reader_init(&r, pdu, len);
	b0 = bo_wire_get_u8(&r);
	if (r.err < 0)
		return r.err;
	switch (b0 >> 6) {
	case 0:
	case 1:
		if (b0 == 0x7f)
			return BO_DFU_E_OPCODE;
		*opcode = b0;
		return 1;
	case 2:
		*opcode = ((uint32_t)b0 << 8) | bo_wire_get_u8(&r);
		break;
	default:
		*opcode = ((uint32_t)b0 << 16) | bo_wire_get_le16(&r);
		break;
	}
	return r.err < 0 ? r.err : (int)r.pos;
}

/* Empty payloads: the codec pair of the messages without fields. */
static int msg_empty_decode(const uint8_t *p, size_t len, uint8_t *unused)
{
	(void)unused;
	return bo_dfu_empty_decode(p, len);
}

static int msg_empty_encode(const uint8_t *unused, uint8_t *buf, size_t cap)
{
	(void)unused;
	(void)buf;
	(void)cap;
	return 0;
}

enum bo_dfu_msg_type bo_dfu_msg_type_of(uint32_t opcode)
{
	switch (opcode) {
#define CASE_(id, op, name, codec, member)                                                     \
	case op:                                                                               \
		return BO_MSG_##id;
		BO_DFU_MSG_LIST(CASE_)
#undef CASE_
	default:
		return BO_MSG_NONE;
	}
}

uint32_t bo_dfu_msg_opcode(enum bo_dfu_msg_type type)
{
	switch (type) {
#define CASE_(id, op, name, codec, member)                                                     \
	case BO_MSG_##id:                                                                      \
		return op;
		BO_DFU_MSG_LIST(CASE_)
#undef CASE_
	default:
		return 0xffffffffu;
	}
}

const char *bo_dfu_msg_name(enum bo_dfu_msg_type type)
{
	switch (type) {
#define CASE_(id, op, name, codec, member)                                                     \
	case BO_MSG_##id:                                                                      \
		return name;
		BO_DFU_MSG_LIST(CASE_)
#undef CASE_
	default:
		return "unknown";
	}
}

int bo_dfu_msg_decode(uint32_t opcode, const uint8_t *payload, size_t len, struct bo_dfu_msg *m)
{
	m->type = bo_dfu_msg_type_of(opcode);
	switch (m->type) {
#define CASE_(id, op, name, codec, member)                                                     \
	case BO_MSG_##id:                                                                      \
		return codec##_decode(payload, len, &m->u.member);
		BO_DFU_MSG_LIST(CASE_)
#undef CASE_
	default:
		return BO_DFU_E_OPCODE;
	}
}

int bo_dfu_msg_encode(const struct bo_dfu_msg *m, uint8_t *buf, size_t cap)
{
	switch (m->type) {
#define CASE_(id, op, name, codec, member)                                                     \
	case BO_MSG_##id:                                                                      \
		return codec##_encode(&m->u.member, buf, cap);
		BO_DFU_MSG_LIST(CASE_)
#undef CASE_
	default:
		return BO_DFU_E_OPCODE;
	}
}

int bo_dfu_pdu_decode(const uint8_t *pdu, size_t len, struct bo_dfu_msg *m)
{
	uint32_t opcode;
	int n = bo_mesh_opcode_decode(pdu, len, &opcode);

	if (n < 0) {
		m->type = BO_MSG_NONE;
		return n;
	}
	return bo_dfu_msg_decode(opcode, pdu + n, len - (size_t)n, m);
}

int bo_dfu_pdu_encode(const struct bo_dfu_msg *m, uint8_t *buf, size_t cap)
{
	uint32_t opcode = bo_dfu_msg_opcode(m->type);
	int n = bo_mesh_opcode_encode(opcode, buf, cap);
	int k;

	if (n < 0)
		return n;
	k = bo_dfu_msg_encode(m, buf ? buf + n : NULL, cap - (size_t)n);
	return k < 0 ? k : n + k;
}
