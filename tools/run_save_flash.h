/*
 * tools/run_save_flash.h: `brownout run --save-flash DIR [--nodes IDS]`: every chosen
 * node's flash at the end of each run, as a device file DIR/seed<SEED>-node<ID>.dev (its
 * note names the strategy, scenario, seed and node), for `brownout mount` and `boot`.
 */
#ifndef BROWNOUT_RUN_SAVE_FLASH_H
#define BROWNOUT_RUN_SAVE_FLASH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario_run.h"

struct run_save_flash {
	const char *dir;
	const char *scenario;  /* its name, for the notes */
	uint32_t *ids;         /* chosen node ids; NULL: every node */
	size_t nids;
	pthread_mutex_t lock;  /* saved, failed, err: runs save from their threads */
	unsigned long saved, failed;
	char err[400];         /* the first failure */
};

/* Check DIR (created when missing, one level) and parse IDS ("3,7,10-20"; NULL: all
 * nodes), each an id of the scenario. 0, or -1 with err set (bad input). */
int run_save_flash_init(struct run_save_flash *sf, const char *dir, const char *ids,
			const struct bo_scenario *s, char *err, size_t errlen);
/* The bo_run_opts.on_node_flash hook; ctx is the struct run_save_flash. */
void run_save_flash_node(void *ctx, uint64_t seed, uint32_t node_id, enum bo_strategy strategy,
			 const struct fsim_device *dev);
void run_save_flash_free(struct run_save_flash *sf);

#endif
