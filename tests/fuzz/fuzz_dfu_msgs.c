/*
 * tests/fuzz/fuzz_dfu_msgs.c: every DFU decoder (core/dfu/blob_msg.c, dfu_msg.c,
 * dfd_msg.c through bo_dfu_msg_decode, and the firmware metadata). The first input byte
 * picks the message type, the rest is the payload. Whatever decodes must encode again to
 * the same bytes (the decoders accept only canonical encodings).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dfu/metadata.h"
#include "core/dfu/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t len = size - 1;
	enum bo_dfu_msg_type t = (enum bo_dfu_msg_type)(1 + data[0] % (BO_MSG_COUNT - 1));
	struct bo_dfu_msg m;
	if (bo_dfu_msg_decode(bo_dfu_msg_opcode(t), p, len, &m) >= 0) {
		static uint8_t out[65536]; /* larger than any payload a decoder takes */
		int n = bo_dfu_msg_encode(&m, out, sizeof out);
		if (n < 0 || (size_t)n != len || memcmp(out, p, len)) {
			fprintf(stderr, "fuzz_dfu_msgs: type %d decodes but does not re-encode "
					"to the same %zu bytes\n",
				(int)t, len);
			abort();
		}
	}
	struct bo_dfu_metadata md;
	(void)bo_dfu_metadata_decode(p, len, &md);
	return 0;
}
