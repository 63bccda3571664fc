/* tools/run_save_flash.c: see run_save_flash.h. */
#include "tools/run_save_flash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/cli_util.h"
#include "tools/device_boot.h"

static bool has_node(const struct bo_scenario *s, unsigned long id)
{
	for (size_t i = 0; i < s->node_count; i++)
		if (s->nodes[i].id == id)
			return true;
	return false;
}

static int parse_ids(struct run_save_flash *sf, const char *ids, const struct bo_scenario *s,
		     char *err, size_t errlen)
{
	if (cli_parse_ids(ids, UINT32_MAX, &sf->ids, &sf->nids)) {
		snprintf(err, errlen, "--nodes takes node ids and ranges, e.g. 3,7,10-20");
		return -1;
	}
	for (size_t i = 0; i < sf->nids; i++)
		if (!has_node(s, sf->ids[i])) {
			snprintf(err, errlen, "--nodes: the scenario has no node %lu",
				 (unsigned long)sf->ids[i]);
			return -1;
		}
	return 0;
}

int run_save_flash_init(struct run_save_flash *sf, const char *dir, const char *ids,
			const struct bo_scenario *s, char *err, size_t errlen)
{
	memset(sf, 0, sizeof *sf);
	sf->dir = dir;
	sf->scenario = s->name;
	pthread_mutex_init(&sf->lock, NULL);
	struct stat st;
	if (stat(dir, &st) != 0 && (errno != ENOENT || mkdir(dir, 0755) != 0)) {
		snprintf(err, errlen, "--save-flash %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--save-flash %s: not a directory", dir);
		return -1;
	}
	if (ids && parse_ids(sf, ids, s, err, errlen))
		return -1;
	return 0;
}

void run_save_flash_node(void *ctx, uint64_t seed, uint32_t node_id, enum bo_strategy strategy,
			 const struct fsim_device *dev)
{
	struct run_save_flash *sf = ctx;
	bool chosen = !sf->ids;
	for (size_t i = 0; i < sf->nids && !chosen; i++)
		chosen = sf->ids[i] == node_id;
	if (!chosen)
		return;
	char path[4096], origin[200], note[FSIM_NOTE_MAX], err[400];
	snprintf(path, sizeof path, "%s/seed%llu-node%u.dev", sf->dir, (unsigned long long)seed,
		 node_id);
	snprintf(origin, sizeof origin, "scenario=%s seed=%llu node=%u at=end", sf->scenario,
		 (unsigned long long)seed, node_id);
	device_note(note, sizeof note, strategy, origin);
	int rc = fsim_save_with_note(dev, path, note, err, sizeof err);
	pthread_mutex_lock(&sf->lock);
	if (rc) {
		if (!sf->failed++)
			snprintf(sf->err, sizeof sf->err, "%s", err);
	} else {
		sf->saved++;
	}
	pthread_mutex_unlock(&sf->lock);
}

void run_save_flash_free(struct run_save_flash *sf)
{
	free(sf->ids);
	pthread_mutex_destroy(&sf->lock);
}
