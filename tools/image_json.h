/*
 * tools/image_json.h: an MCUboot slot or image file analysed the way `brownout image dump`
 * shows it (header, TLVs, trailer), and its JSON form. `brownout image dump --json` and
 * the `<slot>.image.json` files of `brownout mount` both write it with image_dump_json,
 * so the two never drift apart.
 */
#ifndef BROWNOUT_IMAGE_JSON_H
#define BROWNOUT_IMAGE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/boot/image.h"
#include "core/boot/trailer.h"

struct image_dump {
	const uint8_t *buf; /* the bytes analysed (not owned) */
	size_t len;
	uint8_t erased_val;
	enum bo_image_err err;     /* bo_image_parse's verdict on the layout */
	struct bo_image_info info;
	bool have_hdr;             /* the header can be shown (err may still be set) */
	bool trailer;              /* the bytes are a whole slot with a readable trailer */
	struct bo_swap_state ts;   /* valid when trailer */
	uint32_t max_align;        /* the trailer's A (given, or detected from the magic) */
	int trailer_rc;            /* bo_trailer_read_state's result, -1 when not read */
};

/* Analyse buf[0..len) as an image file or a whole slot. max_align 0: detect it. */
void image_dump_analyse(const uint8_t *buf, size_t len, uint32_t max_align, uint8_t erased_val,
			struct image_dump *d);
/* The JSON object of `image dump --json` for d (name: the "file" member), then extra
 * (more members, e.g. "\"verification\": {...}", without a leading comma; NULL: none),
 * and a newline. */
void image_dump_json(FILE *out, const char *name, const struct image_dump *d, const char *extra);

const char *image_tlv_name(uint16_t type);
/* The brownout behaviour byte's name ("good", ...), NULL for an unknown value. */
const char *image_behaviour_name(unsigned v);
void image_print_hex(FILE *out, const uint8_t *p, size_t n);
/* s as a JSON string literal, quotes included. */
void image_json_str(FILE *out, const char *s);

#endif
