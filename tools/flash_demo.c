/*
 * `brownout flash-demo`: cut power in the middle of an update-like write pattern on a
 * simulated nrf52840 and show what the flash holds afterwards.
 *
 * The workload is the naive installer every bootloader starts as: for each sector of the
 * new image, erase the primary sector, then program it in 256-byte writes. Power is cut
 * (torn) at a program halfway through, and the demo prints a map of the primary slot and
 * the bytes of the write that was torn, which is why a bootloader needs more than this.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim/flashsim.h"
#include "tools/commands.h"

#define SLOT_OFF 0x0c000u
#define IMAGE_SECTORS 8u
#define SECTOR 4096u
#define WRITE 256u

struct demo {
	jmp_buf power_on;
	struct fsim_device *dev;
};

static void on_power_loss(void *ctx)
{
	longjmp(((struct demo *)ctx)->power_on, 1);
}

static uint8_t old_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 1);
}

static uint8_t new_byte(uint32_t i)
{
	return (uint8_t)(i * 13 + 0x5a);
}

/* The workload: overwrite the primary slot with the new image, sector by sector. */
static void install(struct fsim_device *dev)
{
	uint8_t buf[WRITE];
	for (uint32_t s = 0; s < IMAGE_SECTORS; s++) {
		fsim_erase(dev, SLOT_OFF + s * SECTOR, SECTOR);
		for (uint32_t w = 0; w < SECTOR; w += WRITE) {
			for (uint32_t k = 0; k < WRITE; k++)
				buf[k] = new_byte(s * SECTOR + w + k);
			fsim_program(dev, SLOT_OFF + s * SECTOR + w, buf, WRITE);
		}
	}
}

static char classify(const uint8_t *got, uint32_t base, uint32_t len, uint8_t ev)
{
	bool all_old = true, all_new = true, all_erased = true;
	for (uint32_t i = 0; i < len; i++) {
		all_old &= got[i] == old_byte(base + i);
		all_new &= got[i] == new_byte(base + i);
		all_erased &= got[i] == ev;
	}
	return all_new ? 'N' : all_old ? 'O' : all_erased ? '.' : '~';
}

int cmd_flash_demo(int argc, char **argv)
{
	if (argc > 1) {
		printf("usage: brownout flash-demo\n\nCuts power (torn write) halfway through a naive "
		       "sector-by-sector image install on a simulated nrf52840 and prints the slot.\n");
		return !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ? EXIT_OK : EXIT_USAGE;
	}
	struct fsim_geometry g;
	char err[160];
	fsim_preset("nrf52840", &g);
	static struct demo demo; /* host tool: must survive the longjmp */
	demo.dev = fsim_create(&g, err, sizeof err);
	if (!demo.dev) {
		fprintf(stderr, "flash-demo: %s\n", err);
		return EXIT_FAILED;
	}
	struct fsim_device *dev = demo.dev;

	/* The old image fills the slot. */
	uint8_t *img = malloc(IMAGE_SECTORS * SECTOR);
	for (uint32_t i = 0; i < IMAGE_SECTORS * SECTOR; i++)
		img[i] = old_byte(i);
	fsim_load_bytes(dev, SLOT_OFF, img, IMAGE_SECTORS * SECTOR);
	free(img);

	/* Count the workload's operations on a fork, then cut the real run halfway. */
	struct fsim_device *probe = fsim_fork(dev);
	install(probe);
	struct fsim_stats full;
	fsim_get_stats(probe, &full);
	fsim_destroy(probe);

	uint64_t cut_at = full.mutating_ops / 2 + 3; /* a program inside sector 4 */
	struct fsim_cut cut = {.op_index = cut_at, .mode = FSIM_CUT_TORN,
			       .variant = FSIM_TORN_PROG_SOME_BITS, .seed = 2026};
	fsim_arm_cut(dev, &cut);
	fsim_set_power_loss_handler(dev, on_power_loss, &demo);

	printf("brownout flash-demo: naive install of a %u KiB image into the primary slot of a "
	       "simulated nrf52840\n", IMAGE_SECTORS * SECTOR / 1024);
	printf("workload: %llu operations (%llu erases, %llu programs of %u bytes), %.1f ms of "
	       "flash time\n",
	       (unsigned long long)full.mutating_ops, (unsigned long long)full.erase_ops,
	       (unsigned long long)full.program_ops, WRITE, full.busy_ns / 1e6);
	if (setjmp(demo.power_on) == 0) {
		install(dev);
		printf("the cut never fired\n");
		fsim_destroy(dev);
		return EXIT_FAILED;
	}
	printf("power lost (torn program) at operation %llu\n\n", (unsigned long long)cut_at);

	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	printf("primary slot after the cut, one character per 256 bytes "
	       "(N new, O old, . erased, ~ torn):\n");
	uint8_t line[WRITE];
	uint32_t torn_off = 0;
	for (uint32_t s = 0; s < IMAGE_SECTORS; s++) {
		printf("  sector %u  ", s);
		for (uint32_t w = 0; w < SECTOR; w += WRITE) {
			fsim_read(dev, SLOT_OFF + s * SECTOR + w, line, WRITE);
			char c = classify(line, s * SECTOR + w, WRITE, g.erase_value);
			if (c == '~')
				torn_off = s * SECTOR + w;
			putchar(c);
		}
		putchar('\n');
	}
	if (torn_off) {
		/* Show 16 bytes around the first byte that is not what was intended. */
		fsim_read(dev, SLOT_OFF + torn_off, line, WRITE);
		uint32_t first = 0;
		while (first < WRITE - 16 && line[first] == new_byte(torn_off + first))
			first++;
		first &= ~15u;
		printf("\nthe torn write at slot offset 0x%05x, bytes 0x%05x..0x%05x:\n  intended:",
		       torn_off, torn_off + first, torn_off + first + 15);
		for (uint32_t i = first; i < first + 16; i++)
			printf(" %02x", new_byte(torn_off + i));
		printf("\n  in flash:");
		for (uint32_t i = first; i < first + 16; i++)
			printf(" %02x", line[i]);
		printf("\n");
	}
	printf("\nbefore the cut: %llu erases, %llu bytes programmed, %.1f ms busy; max erases of "
	       "one sector: %u\n", (unsigned long long)st.erase_ops,
	       (unsigned long long)st.bytes_programmed, st.busy_ns / 1e6, st.max_sector_erases);
	printf("the old image is gone and the new one is incomplete: without a status record and "
	       "a second copy, this device no longer boots.\n");
	fsim_destroy(dev);
	return EXIT_OK;
}
