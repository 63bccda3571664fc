/*
 * flashsim benchmark (meson test --benchmark): snapshot-and-restore of a 1 MiB nrf52840
 * device with 10 written sectors against the naive baseline (a full copy of content and
 * counters, and copying it back), and raw program / erase throughput.
 *
 * "fork+restore" is what a power-cut sweep does at each cut point: freeze the device
 * (fsim_snapshot_take), let the code under test write to it (one program into an already
 * written sector, which forces one copy-on-write sector copy), and put it back
 * (fsim_snapshot_restore, fsim_snapshot_free). The baseline does the same with malloc +
 * memcpy of the whole content plus counters, the same write, and a memcpy back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flashsim/flashsim.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_flashsim: %s\n", what);
	exit(1);
}

/* The state the naive harness copies: content plus accounting. */
struct naive_dev {
	uint8_t *content;
	uint32_t size;
	uint32_t erases[256];
	struct fsim_stats stats;
};

static volatile uint64_t sink;

int main(void)
{
	struct fsim_geometry g;
	char err[256];
	if (fsim_preset("nrf52840", &g) != FSIM_OK)
		die("no nrf52840 preset");
	struct fsim_device *dev = fsim_create(&g, err, sizeof err);
	if (!dev)
		die(err);
	const uint32_t size = fsim_size(dev);
	uint8_t page[4096];
	for (size_t i = 0; i < sizeof page; i++)
		page[i] = (uint8_t)(i * 7 + 1);
	/* 10 written sectors (first half of each) */
	for (uint32_t s = 0; s < 10; s++)
		if (fsim_program(dev, 0x20000 + s * 4096, page, 2048) != FSIM_OK)
			die("setup program");
	printf("device: nrf52840, %u bytes, %u sectors, %u allocated\n", size,
	       fsim_sector_count(dev), fsim_allocated_sectors(dev));

	/* ---- fork+restore ---- */
	const uint8_t word[4] = {0, 0, 0, 0};
	uint64_t iters = 0, t0 = now_ns(), t1;
	uint32_t woff = 0;
	do {
		for (int k = 0; k < 256; k++) {
			struct fsim_snapshot *snap = fsim_snapshot_take(dev);
			if (!snap)
				die("snapshot");
			/* the code under test writes one word in a written sector */
			if (fsim_program(dev, 0x20000 + 2048 + (woff & 0x7fc), word, 4) != FSIM_OK)
				die("program in fork");
			woff += 4;
			if (fsim_snapshot_restore(dev, snap) != FSIM_OK)
				die("restore");
			fsim_snapshot_free(snap);
		}
		iters += 256;
		t1 = now_ns();
	} while (t1 - t0 < 300000000ull);
	const double fork_ns = (double)(t1 - t0) / (double)iters;

	/* fsim_fork + destroy alone, for reference */
	iters = 0;
	t0 = now_ns();
	do {
		for (int k = 0; k < 256; k++) {
			struct fsim_device *f = fsim_fork(dev);
			if (!f)
				die("fork");
			fsim_destroy(f);
		}
		iters += 256;
		t1 = now_ns();
	} while (t1 - t0 < 100000000ull);
	const double forkonly_ns = (double)(t1 - t0) / (double)iters;

	/* ---- naive full copy ---- */
	struct naive_dev live;
	live.size = size;
	live.content = malloc(size);
	if (!live.content)
		die("malloc");
	if (fsim_peek(dev, 0, live.content, size) != FSIM_OK)
		die("peek");
	fsim_get_stats(dev, &live.stats);
	for (uint32_t s = 0; s < 256; s++)
		live.erases[s] = fsim_sector_erases(dev, s);
	iters = 0;
	t0 = now_ns();
	do {
		for (int k = 0; k < 16; k++) {
			struct naive_dev *copy = malloc(sizeof *copy);
			if (!copy)
				die("malloc");
			*copy = live;
			copy->content = malloc(size);
			if (!copy->content)
				die("malloc");
			memcpy(copy->content, live.content, size);
			/* the same one-word write */
			memcpy(live.content + 0x20000 + 2048 + (woff & 0x7fc), word, 4);
			woff += 4;
			/* copy back */
			memcpy(live.content, copy->content, size);
			memcpy(live.erases, copy->erases, sizeof live.erases);
			live.stats = copy->stats;
			sink += copy->content[(woff * 13) % size];
			free(copy->content);
			free(copy);
		}
		iters += 16;
		t1 = now_ns();
	} while (t1 - t0 < 300000000ull);
	const double copy_ns = (double)(t1 - t0) / (double)iters;
	free(live.content);

	const double ratio = copy_ns / fork_ns;
	printf("fork+restore: %.0f ns/op  full copy: %.0f ns/op  ratio: %.1fx (target >= 20x) %s\n",
	       fork_ns, copy_ns, ratio, ratio >= 20.0 ? "OK" : "BELOW TARGET");
	printf("fork+destroy alone: %.0f ns/op\n", forkonly_ns);

	/* ---- program throughput: 4 KiB chunks over the whole device ---- */
	struct fsim_device *tp = fsim_create(&g, err, sizeof err);
	if (!tp)
		die(err);
	uint64_t prog_ns = 0, prog_bytes = 0, erase_ns = 0, erases = 0;
	uint64_t start = now_ns();
	while (now_ns() - start < 400000000ull) {
		uint64_t a = now_ns();
		for (uint32_t off = 0; off < size; off += 4096)
			if (fsim_program(tp, off, page, 4096) != FSIM_OK)
				die("throughput program");
		uint64_t b = now_ns();
		if (fsim_erase(tp, 0, size) != FSIM_OK) /* 256 sector erases of written sectors */
			die("throughput erase");
		uint64_t c = now_ns();
		prog_ns += b - a;
		prog_bytes += size;
		erase_ns += c - b;
		erases += size / 4096;
	}
	/* erases of already erased sectors */
	uint64_t e2 = 0, e2_ns;
	uint64_t a = now_ns();
	do {
		if (fsim_erase(tp, 0, size) != FSIM_OK)
			die("erase");
		e2 += size / 4096;
		e2_ns = now_ns() - a;
	} while (e2_ns < 100000000ull);
	printf("program: %.1f MB/s (4 KiB chunks)  erase: %.0f sectors/s (written)  %.0f sectors/s "
	       "(already erased)\n",
	       (double)prog_bytes / 1e6 / ((double)prog_ns / 1e9),
	       (double)erases / ((double)erase_ns / 1e9), (double)e2 / ((double)e2_ns / 1e9));
	struct fsim_stats st;
	fsim_get_stats(tp, &st);
	printf("simulated busy time of the throughput run: %.1f s\n", (double)st.busy_ns / 1e9);
	fsim_destroy(tp);
	fsim_destroy(dev);
	return 0;
}
