/* sim/scenario_file.c: load and check a mesh scenario file (format: sim/scenario_file.h,
 * scenarios/README.md). */
#include "sim/scenario_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dfu/dfd_srv.h"
#include "flashsim/flashsim.h"
#include "sim/rng.h"
#include "sim/yaml_util.h"

#define HEADER_SIZE 32u          /* image header in front of the payload */
#define PLACEMENT_PURPOSE 0x5c01u /* sim_rng purpose of random topology placement */
#define US_PER_S 1000000ull

static const char *const strategy_names[] = {"overwrite", "swap-scratch", "swap-move", "recovery",
					     "swap-scratch+recovery", NULL};
static const char *const behaviour_names[] = {"good", "no-confirm", "crash-on-boot", "no-dfu",
					      NULL};
static const char *const key_names[] = {"trusted", "untrusted", NULL};
static const char *const topo_names[] = {"line", "grid", "random", "explicit", NULL};
static const char *const role_names[] = {"target", "distributor", "relay-only", NULL};

const char *bo_scenario_topology_name(enum bo_scn_topo_kind k)
{
	return (unsigned)k < 4 ? topo_names[k] : "?";
}

const char *bo_scenario_role_name(enum bo_scn_role r)
{
	return (unsigned)r < 3 ? role_names[r] : "?";
}

int bo_scenario_find_firmware(const struct bo_scenario *s, const char *name)
{
	for (size_t i = 0; i < s->firmware_count; i++)
		if (!strcmp(s->firmware[i].name, name))
			return (int)i;
	return -1;
}

long bo_scenario_node_index(const struct bo_scenario *s, uint32_t id)
{
	if (s->topology.kind != BO_TOPO_EXPLICIT)
		return id < s->node_count ? (long)id : -1;
	for (size_t i = 0; i < s->node_count; i++)
		if (s->nodes[i].id == id)
			return (long)i;
	return -1;
}

/* ---- Durations --------------------------------------------------------------------- */

int bo_scenario_parse_duration(const char *text, uint64_t *us)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
		{"us", 1}, {"ms", 1000}, {"s", US_PER_S}, {"m", 60 * US_PER_S},
		{"h", 3600 * US_PER_S}, {"d", 86400 * US_PER_S},
	};
	const char *p = text;
	uint64_t total = 0;
	uint64_t last_unit = UINT64_MAX;
	if (!strcmp(text, "0")) {
		*us = 0;
		return 0;
	}
	if (!*p)
		return -1;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -1;
		uint64_t v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p++ - '0');
			if (++digits > 12)
				return -1;
		}
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t n = strlen(units[i].unit);
			if (!strncmp(p, units[i].unit, n) && n > best_len &&
			    !(p[n] >= 'a' && p[n] <= 'z')) {
				best = i;
				best_len = n;
			}
		}
		if (!best_len)
			return -1;
		uint64_t mul = units[best].us;
		if (mul >= last_unit)
			return -1; /* units in decreasing order, each once: 1h30m, not 30m1h */
		last_unit = mul;
		if (v > (UINT64_MAX / 4) / mul)
			return -1;
		total += v * mul;
		if (total > UINT64_MAX / 4)
			return -1;
		p += best_len;
	}
	*us = total;
	return 0;
}

void bo_scenario_format_duration(uint64_t us, char *out, size_t n)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
		{"d", 86400 * US_PER_S}, {"h", 3600 * US_PER_S}, {"m", 60 * US_PER_S},
		{"s", US_PER_S},         {"ms", 1000},           {"us", 1},
	};
	size_t used = 0;
	if (n == 0)
		return;
	out[0] = '\0';
	if (us == 0) {
		snprintf(out, n, "0");
		return;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0] && us; i++) {
		uint64_t v = us / units[i].us;
		if (!v)
			continue;
		us -= v * units[i].us;
		int m = snprintf(out + used, n - used, "%llu%s", (unsigned long long)v,
				 units[i].unit);
		if (m < 0 || (size_t)m >= n - used)
			return;
		used += (size_t)m;
	}
}

/* ---- Loader state and small helpers ------------------------------------------------ */

struct loader {
	struct bo_yaml y;
	struct bo_scenario *s;
	yaml_node_t *root;
	yaml_node_t **role_src;     /* per node: the node that set its role (for messages) */
	int *role_ov;               /* per node: that override's index, -1: nodes.default */
	yaml_node_t *firmware_nodes[BO_SCN_MAX_FIRMWARE];
};

static int oom(struct loader *L)
{
	return bo_yaml_error(&L->y, NULL, NULL, "out of memory");
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* parent.key into out (BO_YAML_PATH_MAX). */
#define KP(out, parent, key) bo_yaml_path_key(out, sizeof out, parent, key)

/* A real number in [min, max] (plain decimal or exponent notation; no inf, nan, hex). */
static int get_real(struct loader *L, yaml_node_t *n, const char *path, double min, double max,
		    double *out)
{
	const char *s;
	if (bo_yaml_str(&L->y, n, path, &s))
		return -1;
	bool ok = true, digit = false;
	for (const char *p = s; *p && ok; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (!strchr(".eE+-", *p))
			ok = false;
	}
	double v = 0;
	if (ok && digit) {
		char *end = NULL;
		v = strtod(s, &end);
		ok = end && *end == '\0' && isfinite(v);
	} else {
		ok = false;
	}
	if (!ok)
		return bo_yaml_error(&L->y, n, path, "expected a number, found '%s'", s);
	if (v < min || v > max)
		return bo_yaml_error(&L->y, n, path, "%s is out of range (%g to %g)", s, min, max);
	*out = v;
	return 0;
}

static int get_uint(struct loader *L, yaml_node_t *map, const char *parent, const char *key,
		    uint64_t min, uint64_t max, uint64_t *out)
{
	yaml_node_t *v = bo_yaml_map_get(&L->y, map, key);
	char kp[BO_YAML_PATH_MAX];
	KP(kp, parent, key);
	return v ? bo_yaml_uint(&L->y, v, kp, min, max, out) : 0;
}

static int get_u32(struct loader *L, yaml_node_t *map, const char *parent, const char *key,
		   uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t x = *out;
	if (get_uint(L, map, parent, key, min, max, &x))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int duration_node(struct loader *L, yaml_node_t *n, const char *path, uint64_t min_us,
			 uint64_t max_us, uint64_t *out)
{
	const char *s;
	uint64_t v;
	if (bo_yaml_str(&L->y, n, path, &s))
		return -1;
	if (bo_scenario_parse_duration(s, &v))
		return bo_yaml_error(&L->y, n, path,
				     "expected a duration (500ms, 90s, 20m, 6h, 1h30m; units us ms "
				     "s m h d), found '%s'",
				     s);
	if (v < min_us) {
		if (min_us == 1)
			return bo_yaml_error(&L->y, n, path, "the duration must be positive");
		char m[32];
		bo_scenario_format_duration(min_us, m, sizeof m);
		return bo_yaml_error(&L->y, n, path, "%s is shorter than the minimum %s", s, m);
	}
	if (v > max_us) {
		char m[32];
		bo_scenario_format_duration(max_us, m, sizeof m);
		return bo_yaml_error(&L->y, n, path, "%s is longer than %s", s, m);
	}
	*out = v;
	return 0;
}

static int get_dur(struct loader *L, yaml_node_t *map, const char *parent, const char *key,
		   uint64_t min_us, uint64_t max_us, uint64_t *out)
{
	yaml_node_t *v = bo_yaml_map_get(&L->y, map, key);
	char kp[BO_YAML_PATH_MAX];
	KP(kp, parent, key);
	return v ? duration_node(L, v, kp, min_us, max_us, out) : 0;
}

static int get_dur32(struct loader *L, yaml_node_t *map, const char *parent, const char *key,
		     uint64_t min_us, uint32_t *out)
{
	uint64_t x = *out;
	if (get_dur(L, map, parent, key, min_us, UINT32_MAX, &x))
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int get_bool(struct loader *L, yaml_node_t *map, const char *parent, const char *key,
		    bool *out)
{
	yaml_node_t *v = bo_yaml_map_get(&L->y, map, key);
	char kp[BO_YAML_PATH_MAX];
	KP(kp, parent, key);
	return v ? bo_yaml_bool(&L->y, v, kp, out) : 0;
}

/* A node id (scalar) that is in the topology: its index. */
static int node_ref(struct loader *L, yaml_node_t *n, const char *path, uint32_t *index)
{
	uint64_t id;
	if (bo_yaml_uint(&L->y, n, path, 0, UINT32_MAX, &id))
		return -1;
	long i = bo_scenario_node_index(L->s, (uint32_t)id);
	if (i < 0) {
		if (L->s->topology.kind == BO_TOPO_EXPLICIT)
			return bo_yaml_error(&L->y, n, path,
					     "node %llu is not in the topology (topology.nodes)",
					     (unsigned long long)id);
		return bo_yaml_error(&L->y, n, path,
				     "node %llu is not in the topology (ids 0 to %zu)",
				     (unsigned long long)id, L->s->node_count - 1);
	}
	*index = (uint32_t)i;
	return 0;
}

/* A list of node ids, each once: indices into a new heap array. */
static int node_list(struct loader *L, yaml_node_t *n, const char *path, uint32_t **out,
		     uint32_t *count)
{
	if (bo_yaml_seq_check(&L->y, n, path, 1, BO_SCN_MAX_NODES))
		return -1;
	size_t len = bo_yaml_seq_len(n);
	uint32_t *v = calloc(len, sizeof *v);
	unsigned char *seen = calloc(L->s->node_count, 1);
	if (!v || !seen) {
		free(v);
		free(seen);
		return oom(L);
	}
	for (size_t i = 0; i < len; i++) {
		char ip[BO_YAML_PATH_MAX];
		bo_yaml_path_index(ip, sizeof ip, path, i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, n, i);
		if (node_ref(L, item, ip, &v[i]))
			goto fail;
		if (seen[v[i]]) {
			bo_yaml_error(&L->y, item, ip, "node %u is listed twice",
				      L->s->nodes[v[i]].id);
			goto fail;
		}
		seen[v[i]] = 1;
	}
	free(seen);
	*out = v;
	*count = (uint32_t)len;
	return 0;
fail:
	free(v);
	free(seen);
	return -1;
}

static int firmware_ref(struct loader *L, yaml_node_t *n, const char *path, int *out)
{
	const char *name;
	if (bo_yaml_str(&L->y, n, path, &name))
		return -1;
	int i = bo_scenario_find_firmware(L->s, name);
	if (i < 0)
		return bo_yaml_error(&L->y, n, path, "unknown firmware '%s' (define it under firmware:)",
				     name);
	*out = i;
	return 0;
}

/* ---- scenario, description, seed, duration ----------------------------------------- */

static int load_head(struct loader *L)
{
	yaml_node_t *n = bo_yaml_map_need(&L->y, L->root, "", "scenario");
	const char *name;
	if (!n || bo_yaml_str(&L->y, n, "scenario", &name))
		return -1;
	if (!name_ok(name, BO_SCN_NAME_MAX))
		return bo_yaml_error(&L->y, n, "scenario",
				     "the name must be 1 to %d characters of A-Z a-z 0-9 . _ -",
				     BO_SCN_NAME_MAX - 1);
	snprintf(L->s->name, sizeof L->s->name, "%s", name);
	yaml_node_t *d = bo_yaml_map_get(&L->y, L->root, "description");
	if (d) {
		const char *text;
		if (bo_yaml_str(&L->y, d, "description", &text))
			return -1;
		L->s->description = strdup(text);
		if (!L->s->description)
			return oom(L);
	}
	L->s->seed = 1;
	if (get_uint(L, L->root, "", "seed", 0, UINT64_MAX, &L->s->seed))
		return -1;
	n = bo_yaml_map_need(&L->y, L->root, "", "duration");
	return n ? duration_node(L, n, "duration", 1, 365 * 86400 * US_PER_S,
				 &L->s->duration_us)
		 : -1;
}

/* ---- device ------------------------------------------------------------------------ */

static int load_device(struct loader *L)
{
	static const char *const keys[] = {"strategy", "attempts", "allow_downgrade", NULL};
	yaml_node_t *dev = bo_device_load(&L->y, L->root, keys, &L->s->device);
	if (!dev || bo_device_check_coreboot_units(&L->y, dev, &L->s->device))
		return -1;
	yaml_node_t *sn = bo_yaml_map_need(&L->y, dev, "device", "strategy");
	int e;
	if (!sn || bo_yaml_enum(&L->y, sn, "device.strategy", strategy_names, &e))
		return -1;
	L->s->strategy = (enum bo_sweep_strategy)e;
	L->s->attempts = 3;
	if (get_u32(L, dev, "device", "attempts", 1, 255, &L->s->attempts) ||
	    get_bool(L, dev, "device", "allow_downgrade", &L->s->allow_downgrade))
		return -1;
	return 0;
}

/* Can this device run strategy st? Error at node n / path otherwise. */
static int check_strategy(struct loader *L, enum bo_sweep_strategy st, yaml_node_t *n,
			  const char *path)
{
	bool need_scratch = st == BO_SWEEP_SWAP_SCRATCH || st == BO_SWEEP_SWAP_SCRATCH_RECOVERY;
	bool need_recovery = st == BO_SWEEP_RECOVERY || st == BO_SWEEP_SWAP_SCRATCH_RECOVERY;
	if (need_scratch && !L->s->device.parts[BO_SWEEP_PART_SCRATCH].present)
		return bo_yaml_error(&L->y, n, path,
				     "%s needs a scratch partition (device.layout.scratch)",
				     strategy_names[st]);
	if (need_recovery && !L->s->device.parts[BO_SWEEP_PART_RECOVERY].present)
		return bo_yaml_error(&L->y, n, path,
				     "%s needs a recovery partition (device.layout.recovery)",
				     strategy_names[st]);
	return 0;
}

/* ---- topology ---------------------------------------------------------------------- */

static int alloc_nodes(struct loader *L, uint32_t count)
{
	L->s->topology.count = count;
	L->s->node_count = count;
	L->s->nodes = calloc(count, sizeof L->s->nodes[0]);
	L->role_src = calloc(count, sizeof L->role_src[0]);
	L->role_ov = calloc(count, sizeof L->role_ov[0]);
	if (!L->s->nodes || !L->role_src || !L->role_ov)
		return oom(L);
	for (uint32_t i = 0; i < count; i++)
		L->s->nodes[i].id = i;
	return 0;
}

struct link_key {
	uint64_t pair; /* smaller id << 32 | larger id */
	size_t index;
};

static int cmp_link_key(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;
	if (x->pair != y->pair)
		return x->pair < y->pair ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Each pair of nodes is linked at most once (links are both ways): the first repeat in
 * the file is the error. Sorting keeps this O(n log n) for large explicit topologies. */
static int check_links(struct loader *L, yaml_node_t *links)
{
	const struct bo_scn_topology *tp = &L->s->topology;
	size_t n = tp->link_count;
	if (n < 2)
		return 0;
	struct link_key *k = calloc(n, sizeof *k);
	if (!k)
		return oom(L);
	for (size_t i = 0; i < n; i++) {
		uint32_t a = tp->links[i].a, b = tp->links[i].b;
		k[i].pair = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
		k[i].index = i;
	}
	qsort(k, n, sizeof *k, cmp_link_key);
	size_t worst = SIZE_MAX;
	for (size_t i = 1; i < n; i++)
		if (k[i].pair == k[i - 1].pair && (i < 2 || k[i - 1].pair != k[i - 2].pair) &&
		    k[i].index < worst)
			worst = k[i].index;
	free(k);
	if (worst == SIZE_MAX)
		return 0;
	char path[BO_YAML_PATH_MAX];
	bo_yaml_path_index(path, sizeof path, "topology.links", worst);
	return bo_yaml_error(&L->y, bo_yaml_seq_at(&L->y, links, worst), path,
			     "link %u-%u is given twice (links are both ways)", tp->links[worst].a,
			     tp->links[worst].b);
}

static int load_explicit(struct loader *L, yaml_node_t *t)
{
	struct bo_scn_topology *tp = &L->s->topology;
	yaml_node_t *nodes = bo_yaml_map_need(&L->y, t, "topology", "nodes");
	if (!nodes || bo_yaml_seq_check(&L->y, nodes, "topology.nodes", 1, BO_SCN_MAX_NODES))
		return -1;
	size_t n = bo_yaml_seq_len(nodes);
	if (alloc_nodes(L, (uint32_t)n))
		return -1;
	static const char *const node_keys[] = {"id", "x", "y", NULL};
	unsigned char *seen = calloc(BO_SCN_MAX_ID + 1, 1);
	if (!seen)
		return oom(L);
	for (size_t i = 0; i < n; i++) {
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "topology.nodes", i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, nodes, i);
		struct bo_scn_node *nd = &L->s->nodes[i];
		yaml_node_t *v = NULL;
		uint64_t id;
		KP(kp, path, "id");
		if (bo_yaml_map_check(&L->y, item, path, node_keys) ||
		    !(v = bo_yaml_map_need(&L->y, item, path, "id")) ||
		    bo_yaml_uint(&L->y, v, kp, 0, BO_SCN_MAX_ID, &id)) {
			free(seen);
			return -1;
		}
		if (seen[id]) {
			free(seen);
			return bo_yaml_error(&L->y, v, kp, "node %llu is defined twice",
					     (unsigned long long)id);
		}
		seen[id] = 1;
		nd->id = (uint32_t)id;
		char yp[BO_YAML_PATH_MAX];
		KP(kp, path, "x");
		KP(yp, path, "y");
		yaml_node_t *x = NULL, *y = NULL;
		if (!(x = bo_yaml_map_need(&L->y, item, path, "x")) ||
		    get_real(L, x, kp, -1e9, 1e9, &nd->x) ||
		    !(y = bo_yaml_map_need(&L->y, item, path, "y")) ||
		    get_real(L, y, yp, -1e9, 1e9, &nd->y)) {
			free(seen);
			return -1;
		}
	}
	free(seen);
	yaml_node_t *links = bo_yaml_map_need(&L->y, t, "topology", "links");
	if (!links || bo_yaml_seq_check(&L->y, links, "topology.links", 0, BO_SCN_MAX_LINKS))
		return -1;
	size_t nl = bo_yaml_seq_len(links);
	tp->links = calloc(nl ? nl : 1, sizeof tp->links[0]);
	if (!tp->links)
		return oom(L);
	static const char *const link_keys[] = {"a", "b", "loss", NULL};
	for (size_t i = 0; i < nl; i++) {
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "topology.links", i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, links, i);
		if (bo_yaml_map_check(&L->y, item, path, link_keys))
			return -1;
		struct bo_scn_link *lk = &tp->links[i];
		uint32_t ia, ib;
		yaml_node_t *a = bo_yaml_map_need(&L->y, item, path, "a");
		KP(kp, path, "a");
		if (!a || node_ref(L, a, kp, &ia))
			return -1;
		yaml_node_t *b = bo_yaml_map_need(&L->y, item, path, "b");
		KP(kp, path, "b");
		if (!b || node_ref(L, b, kp, &ib))
			return -1;
		if (ia == ib)
			return bo_yaml_error(&L->y, b, kp, "a link joins two different nodes");
		lk->a = L->s->nodes[ia].id;
		lk->b = L->s->nodes[ib].id;
		lk->loss = tp->loss;
		yaml_node_t *lv = bo_yaml_map_get(&L->y, item, "loss");
		KP(kp, path, "loss");
		if (lv && get_real(L, lv, kp, 0, 1, &lk->loss))
			return -1;
		tp->link_count = i + 1;
	}
	return check_links(L, links);
}

static int load_topology(struct loader *L)
{
	static const char *const keys_by_kind[4][9] = {
		{"kind", "count", "spacing", "range", "loss", NULL},
		{"kind", "rows", "cols", "spacing", "range", "loss", NULL},
		{"kind", "count", "area", "seed", "range", "loss", NULL},
		{"kind", "nodes", "links", "loss", NULL},
	};
	struct bo_scn_topology *tp = &L->s->topology;
	yaml_node_t *t = bo_yaml_map_need(&L->y, L->root, "", "topology");
	if (!t || bo_yaml_map_check(&L->y, t, "topology", NULL))
		return -1;
	yaml_node_t *kn = bo_yaml_map_need(&L->y, t, "topology", "kind");
	int kind;
	if (!kn || bo_yaml_enum(&L->y, kn, "topology.kind", topo_names, &kind))
		return -1;
	tp->kind = (enum bo_scn_topo_kind)kind;
	if (bo_yaml_map_check(&L->y, t, "topology", keys_by_kind[kind]))
		return -1;
	yaml_node_t *v;
	if ((v = bo_yaml_map_get(&L->y, t, "loss")) && get_real(L, v, "topology.loss", 0, 1, &tp->loss))
		return -1;
	if (tp->kind == BO_TOPO_EXPLICIT)
		return load_explicit(L, t);

	uint64_t count = 0;
	if (tp->kind == BO_TOPO_GRID) {
		uint64_t r, c;
		if (!(v = bo_yaml_map_need(&L->y, t, "topology", "rows")) ||
		    bo_yaml_uint(&L->y, v, "topology.rows", 1, BO_SCN_MAX_NODES, &r) ||
		    !(v = bo_yaml_map_need(&L->y, t, "topology", "cols")) ||
		    bo_yaml_uint(&L->y, v, "topology.cols", 1, BO_SCN_MAX_NODES, &c))
			return -1;
		if (r * c > BO_SCN_MAX_NODES)
			return bo_yaml_error(&L->y, t, "topology",
					     "%llu x %llu = %llu nodes: at most %u",
					     (unsigned long long)r, (unsigned long long)c,
					     (unsigned long long)(r * c), BO_SCN_MAX_NODES);
		tp->rows = (uint32_t)r;
		tp->cols = (uint32_t)c;
		count = r * c;
	} else {
		if (!(v = bo_yaml_map_need(&L->y, t, "topology", "count")) ||
		    bo_yaml_uint(&L->y, v, "topology.count", 1, BO_SCN_MAX_NODES, &count))
			return -1;
	}
	if (tp->kind == BO_TOPO_RANDOM) {
		if (!(v = bo_yaml_map_need(&L->y, t, "topology", "area")))
			return -1;
		if (v->type == YAML_SEQUENCE_NODE) {
			if (bo_yaml_seq_check(&L->y, v, "topology.area", 2, 2) ||
			    get_real(L, bo_yaml_seq_at(&L->y, v, 0), "topology.area[0]", 1e-3, 1e9,
				     &tp->area_w) ||
			    get_real(L, bo_yaml_seq_at(&L->y, v, 1), "topology.area[1]", 1e-3, 1e9,
				     &tp->area_h))
				return -1;
		} else {
			if (v->type != YAML_SCALAR_NODE)
				return bo_yaml_error(&L->y, v, "topology.area",
						     "expected a side (200) or [WIDTH, HEIGHT], "
						     "found %s",
						     bo_yaml_kind(v));
			if (get_real(L, v, "topology.area", 1e-3, 1e9, &tp->area_w))
				return -1;
			tp->area_h = tp->area_w;
		}
		tp->seed = L->s->seed;
		if (get_uint(L, t, "topology", "seed", 0, UINT64_MAX, &tp->seed))
			return -1;
		if (!(v = bo_yaml_map_need(&L->y, t, "topology", "range")) ||
		    get_real(L, v, "topology.range", 1e-6, 1e9, &tp->range))
			return -1;
	} else {
		if (!(v = bo_yaml_map_need(&L->y, t, "topology", "spacing")) ||
		    get_real(L, v, "topology.spacing", 1e-3, 1e9, &tp->spacing))
			return -1;
		/* Default: nearest neighbours only (a little slack for rounding). */
		tp->range = tp->spacing * 1.01;
		if ((v = bo_yaml_map_get(&L->y, t, "range")) &&
		    get_real(L, v, "topology.range", 1e-6, 1e9, &tp->range))
			return -1;
		if (tp->range < tp->spacing)
			return bo_yaml_error(&L->y, v, "topology.range",
					     "range %g is shorter than the spacing %g: no node would "
					     "hear another",
					     tp->range, tp->spacing);
	}
	if (alloc_nodes(L, (uint32_t)count))
		return -1;
	struct sim_rng rng;
	sim_rng_derive(&rng, tp->seed, UINT32_MAX, PLACEMENT_PURPOSE);
	for (uint32_t i = 0; i < count; i++) {
		struct bo_scn_node *nd = &L->s->nodes[i];
		switch (tp->kind) {
		case BO_TOPO_LINE:
			nd->x = tp->spacing * i;
			break;
		case BO_TOPO_GRID:
			nd->x = tp->spacing * (i % tp->cols);
			nd->y = tp->spacing * (i / tp->cols);
			break;
		default:
			nd->x = sim_rng_double(&rng) * tp->area_w;
			nd->y = sim_rng_double(&rng) * tp->area_h;
			break;
		}
	}
	return 0;
}

/* ---- mesh -------------------------------------------------------------------------- */

static int load_count_interval(struct loader *L, yaml_node_t *m, const char *key,
			       uint32_t max_count, uint32_t *count, uint32_t *interval)
{
	static const char *const keys[] = {"count", "interval", NULL};
	yaml_node_t *v = bo_yaml_map_get(&L->y, m, key);
	char path[BO_YAML_PATH_MAX];
	KP(path, "mesh", key);
	if (!v)
		return 0;
	if (bo_yaml_map_check(&L->y, v, path, keys) ||
	    get_u32(L, v, path, "count", 0, max_count, count) ||
	    get_dur32(L, v, path, "interval", 1, interval))
		return -1;
	return 0;
}

static int load_relays(struct loader *L, yaml_node_t *m)
{
	yaml_node_t *v = bo_yaml_map_get(&L->y, m, "relays");
	bool all = true;
	if (v && v->type == YAML_SEQUENCE_NODE) {
		uint32_t *list, n;
		if (node_list(L, v, "mesh.relays", &list, &n))
			return -1;
		for (size_t i = 0; i < L->s->node_count; i++)
			L->s->nodes[i].relay = false;
		for (uint32_t i = 0; i < n; i++)
			L->s->nodes[list[i]].relay = true;
		free(list);
		L->s->mesh.relay_default = false;
		return 0;
	}
	if (v) {
		const char *str;
		if (bo_yaml_str(&L->y, v, "mesh.relays", &str))
			return -1;
		if (strcmp(str, "all") && strcmp(str, "none"))
			return bo_yaml_error(&L->y, v, "mesh.relays",
					     "expected all, none or a list of node ids, found '%s'",
					     str);
		all = !strcmp(str, "all");
	}
	L->s->mesh.relay_default = all;
	for (size_t i = 0; i < L->s->node_count; i++)
		L->s->nodes[i].relay = all;
	return 0;
}

/* mesh.transport: lower transport (segmentation and reassembly). */
static int load_transport(struct loader *L, yaml_node_t *mesh)
{
	static const char *const keys[] = {"segment_interval", "ack_delay_max", "unicast_retrans",
					   "multicast_retrans", "discard_timeout", "tx_seg_max",
					   "unseg_max", "trans_mic", "seg_max_len", NULL};
#define P "mesh.transport"
	struct mesh_config *c = &L->s->mesh;
	yaml_node_t *m = bo_yaml_map_get(&L->y, mesh, "transport");
	yaml_node_t *v;
	uint64_t x;
	if (!m)
		return 0;
	if (bo_yaml_map_check(&L->y, m, P, keys))
		return -1;
	if (get_dur32(L, m, P, "segment_interval", 1, &c->segment_interval_us))
		return -1;
	if ((v = bo_yaml_map_get(&L->y, m, "ack_delay_max"))) {
		double d;
		if (get_real(L, v, P ".ack_delay_max", 0.5, 1000, &d))
			return -1;
		if (d * 2 != (double)(uint32_t)(d * 2))
			return bo_yaml_error(&L->y, v, P ".ack_delay_max",
					     "in segment intervals, a multiple of 0.5 (2.5)");
		c->ack_delay_max_halves = (uint32_t)(d * 2);
	}
	if ((v = bo_yaml_map_get(&L->y, m, "unicast_retrans"))) {
		static const char *const k3[] = {"count", "interval", "per_hop", NULL};
		const char *p = P ".unicast_retrans";
		if (bo_yaml_map_check(&L->y, v, p, k3) ||
		    get_u32(L, v, p, "count", 0, 255, &c->unicast_retrans_count) ||
		    get_dur32(L, v, p, "interval", 1, &c->unicast_retrans_interval_us) ||
		    get_dur32(L, v, p, "per_hop", 0, &c->unicast_retrans_per_hop_us))
			return -1;
	}
	if ((v = bo_yaml_map_get(&L->y, m, "multicast_retrans"))) {
		static const char *const k2[] = {"count", "interval", NULL};
		const char *p = P ".multicast_retrans";
		if (bo_yaml_map_check(&L->y, v, p, k2) ||
		    get_u32(L, v, p, "count", 0, 255, &c->multicast_retrans_count) ||
		    get_dur32(L, v, p, "interval", 1, &c->multicast_retrans_interval_us))
			return -1;
	}
	if (get_dur32(L, m, P, "discard_timeout", 1, &c->discard_timeout_us) ||
	    get_u32(L, m, P, "tx_seg_max", 1, 255, &c->tx_seg_max))
		return -1;
	yaml_node_t *tm = bo_yaml_map_get(&L->y, m, "trans_mic");
	if ((v = tm)) {
		if (bo_yaml_uint(&L->y, v, P ".trans_mic", 4, 8, &x))
			return -1;
		if (x != 4 && x != 8)
			return bo_yaml_error(&L->y, v, P ".trans_mic", "expected 4 or 8");
		c->trans_mic = (uint32_t)x;
	}
	if ((v = bo_yaml_map_get(&L->y, m, "unseg_max")) &&
	    bo_yaml_uint(&L->y, v, P ".unseg_max", 1, 15 - c->trans_mic, &x))
		return -1;
	if (v)
		c->unseg_max = (uint32_t)x;
	if (c->unseg_max + c->trans_mic > 15)
		return bo_yaml_error(&L->y, v ? v : tm, v ? P ".unseg_max" : P ".trans_mic",
				     "unseg_max + trans_mic exceeds 15 bytes");
	if ((v = bo_yaml_map_get(&L->y, m, "seg_max_len")) &&
	    bo_yaml_uint(&L->y, v, P ".seg_max_len", c->unseg_max + 1,
			 MESH_MAX_MSG - c->trans_mic, &x))
		return -1;
	if (v)
		c->seg_max_len = (uint32_t)x;
	if (c->seg_max_len + c->trans_mic > MESH_MAX_MSG)
		return bo_yaml_error(&L->y, v ? v : tm, v ? P ".seg_max_len" : P ".trans_mic",
				     "seg_max_len + trans_mic exceeds %u bytes", MESH_MAX_MSG);
	return 0;
	return 0;
#undef P
}

static int load_mesh(struct loader *L)
{
	static const char *const keys[] = {
		"ttl", "relays", "network_transmit", "relay_retransmit", "relay_delay",
		"adv_delay_max", "adv_airtime", "adv_channels", "collisions", "half_duplex",
		"cache_size", "adv_buffers", "relay_buffers", "transport", NULL};
	struct mesh_config *c = &L->s->mesh;
	mesh_config_default(c);
	yaml_node_t *m = bo_yaml_map_get(&L->y, L->root, "mesh");
	if (!m) {
		for (size_t i = 0; i < L->s->node_count; i++)
			L->s->nodes[i].relay = c->relay_default;
		return 0;
	}
	if (bo_yaml_map_check(&L->y, m, "mesh", keys))
		return -1;
	yaml_node_t *v;
	uint64_t x;
	if ((v = bo_yaml_map_get(&L->y, m, "ttl"))) {
		if (bo_yaml_uint(&L->y, v, "mesh.ttl", 0, 127, &x))
			return -1;
		if (x == 1)
			return bo_yaml_error(&L->y, v, "mesh.ttl",
					     "TTL 1 is prohibited in Bluetooth Mesh (use 0: "
					     "neighbours only, or 2 to 127)");
		c->default_ttl = (uint8_t)x;
	}
	if (load_relays(L, m) ||
	    load_count_interval(L, m, "network_transmit", 7, &c->net_transmit_count,
				&c->net_transmit_interval_us) ||
	    load_count_interval(L, m, "relay_retransmit", 7, &c->relay_retransmit_count,
				&c->relay_retransmit_interval_us))
		return -1;
	if ((v = bo_yaml_map_get(&L->y, m, "relay_delay"))) {
		static const char *const k2[] = {"min", "max", NULL};
		if (bo_yaml_map_check(&L->y, v, "mesh.relay_delay", k2) ||
		    get_dur32(L, v, "mesh.relay_delay", "min", 0, &c->relay_delay_min_us) ||
		    get_dur32(L, v, "mesh.relay_delay", "max", 0, &c->relay_delay_max_us))
			return -1;
		if (c->relay_delay_min_us > c->relay_delay_max_us)
			return bo_yaml_error(&L->y, v, "mesh.relay_delay",
					     "min is greater than max");
	}
	if (get_dur32(L, m, "mesh", "adv_delay_max", 0, &c->adv_delay_max_us) ||
	    get_dur32(L, m, "mesh", "adv_airtime", 1, &c->adv_airtime_us) ||
	    get_u32(L, m, "mesh", "adv_channels", 1, 3, &c->adv_channels))
		return -1;
	if ((v = bo_yaml_map_get(&L->y, m, "collisions"))) {
		static const char *const names[] = {"true", "false", "channel", "event", NULL};
		const char *str;
		bool on;
		if (bo_yaml_str(&L->y, v, "mesh.collisions", &str))
			return -1;
		if (!strcmp(str, "channel") || !strcmp(str, "event")) {
			c->collisions = true;
			c->collision_model = !strcmp(str, "channel") ? MESH_COLLIDE_CHANNEL
								   : MESH_COLLIDE_EVENT;
		} else if (!strcasecmp(str, "true") || !strcasecmp(str, "false")) {
			if (bo_yaml_bool(&L->y, v, "mesh.collisions", &on))
				return -1;
			c->collisions = on;
		} else {
			int e;
			return bo_yaml_enum(&L->y, v, "mesh.collisions", names, &e);
		}
	}
	if (get_bool(L, m, "mesh", "half_duplex", &c->half_duplex) ||
	    get_u32(L, m, "mesh", "cache_size", 1, 1u << 20, &c->cache_size) ||
	    get_u32(L, m, "mesh", "adv_buffers", 1, 65535, &c->adv_buffers) ||
	    get_u32(L, m, "mesh", "relay_buffers", 0, 65535, &c->relay_buffers))
		return -1;
	return load_transport(L, m);
}

/* ---- firmware ---------------------------------------------------------------------- */

static int load_one_firmware(struct loader *L, yaml_node_t *key, yaml_node_t *val,
			     struct bo_sweep_image *img)
{
	static const char *const keys[] = {"version", "size", "behaviour", "key",
					   "corrupt", "seed", NULL};
	const char *name = (const char *)key->data.scalar.value;
	char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
	KP(path, "firmware", name);
	if (!name_ok(name, BO_SWEEP_IMAGE_NAME_MAX))
		return bo_yaml_error(&L->y, key, path,
				     "a firmware name must be 1 to %d characters of A-Z a-z 0-9 . "
				     "_ -",
				     BO_SWEEP_IMAGE_NAME_MAX - 1);
	snprintf(img->name, sizeof img->name, "%s", name);
	if (bo_yaml_map_check(&L->y, val, path, keys))
		return -1;
	yaml_node_t *v = bo_yaml_map_need(&L->y, val, path, "version");
	const char *vs;
	KP(kp, path, "version");
	if (!v || bo_yaml_str(&L->y, v, kp, &vs))
		return -1;
	if (bo_sweep_parse_version(vs, &img->version))
		return bo_yaml_error(&L->y, v, kp,
				     "expected MAJ.MIN.REV[+BUILD] (at most 255.255.65535+4294967295), "
				     "found '%s'",
				     vs);
	KP(kp, path, "size");
	v = bo_yaml_map_need(&L->y, val, path, "size");
	if (!v || bo_yaml_size(&L->y, v, kp, &img->size))
		return -1;
	if (img->size == 0)
		return bo_yaml_error(&L->y, v, kp, "firmware needs at least one payload byte");
	int e;
	KP(kp, path, "behaviour");
	img->behaviour = BO_SWEEP_GOOD;
	if ((v = bo_yaml_map_get(&L->y, val, "behaviour"))) {
		if (bo_yaml_enum(&L->y, v, kp, behaviour_names, &e))
			return -1;
		img->behaviour = (enum bo_sweep_behaviour)e;
	}
	KP(kp, path, "key");
	img->key = BO_SWEEP_KEY_TRUSTED;
	if ((v = bo_yaml_map_get(&L->y, val, "key"))) {
		if (bo_yaml_enum(&L->y, v, kp, key_names, &e))
			return -1;
		img->key = (enum bo_sweep_key)e;
	}
	img->seed = bo_sweep_name_seed(name);
	if (get_bool(L, val, path, "corrupt", &img->corrupt) ||
	    get_uint(L, val, path, "seed", 0, UINT64_MAX, &img->seed))
		return -1;
	return 0;
}

static int load_firmware(struct loader *L)
{
	yaml_node_t *fw = bo_yaml_map_need(&L->y, L->root, "", "firmware");
	if (!fw || bo_yaml_map_check(&L->y, fw, "firmware", NULL))
		return -1;
	size_t n = bo_yaml_map_len(fw);
	if (n == 0)
		return bo_yaml_error(&L->y, fw, "firmware", "define at least one firmware");
	if (n > BO_SCN_MAX_FIRMWARE)
		return bo_yaml_error(&L->y, fw, "firmware", "at most %d firmware, found %zu",
				     BO_SCN_MAX_FIRMWARE, n);
	for (size_t i = 0; i < n; i++) {
		L->firmware_nodes[i] = bo_yaml_map_key_at(&L->y, fw, i);
		if (load_one_firmware(L, L->firmware_nodes[i], bo_yaml_map_value_at(&L->y, fw, i),
				      &L->s->firmware[i]))
			return -1;
		L->s->firmware_count = i + 1;
	}
	return 0;
}

static int check_fit(struct loader *L, int fw, enum bo_sweep_part p, yaml_node_t *at,
		     const char *path)
{
	const struct bo_sweep_image *im = &L->s->firmware[fw];
	uint32_t room = bo_device_image_room(&L->s->device, p);
	if ((uint64_t)im->size + HEADER_SIZE > room)
		return bo_yaml_error(&L->y, at, path,
				     "firmware '%s' (%u bytes + %u-byte header) does not fit in %s "
				     "(%u bytes%s)",
				     im->name, im->size, HEADER_SIZE, bo_sweep_part_name(p), room,
				     p == BO_SWEEP_PART_RECOVERY		       ? ""
				     : L->s->device.parts[BO_SWEEP_PART_STATUS].present ? " before the trailer"
										 : " before the trailer sector");
	return 0;
}

/* A firmware that runs from or is received into the slots must fit both. */
static int check_slot_fit(struct loader *L, int fw, yaml_node_t *at, const char *path)
{
	return check_fit(L, fw, BO_SWEEP_PART_PRIMARY, at, path) ||
	       check_fit(L, fw, BO_SWEEP_PART_UPGRADE, at, path);
}

/* ---- nodes ------------------------------------------------------------------------- */

/* Settings of nodes.default or one override: what is given (-1 / false: not given). */
struct node_settings {
	int firmware, recovery, role, strategy;
	yaml_node_t *role_node;
};

static int load_settings(struct loader *L, yaml_node_t *m, const char *path,
			 struct node_settings *ns)
{
	yaml_node_t *v;
	char kp[BO_YAML_PATH_MAX];
	ns->firmware = ns->recovery = ns->role = ns->strategy = -1;
	ns->role_node = NULL;
	KP(kp, path, "firmware");
	if ((v = bo_yaml_map_get(&L->y, m, "firmware"))) {
		if (firmware_ref(L, v, kp, &ns->firmware) ||
		    check_slot_fit(L, ns->firmware, v, kp))
			return -1;
	}
	KP(kp, path, "recovery");
	if ((v = bo_yaml_map_get(&L->y, m, "recovery"))) {
		if (firmware_ref(L, v, kp, &ns->recovery))
			return -1;
		if (!L->s->device.parts[BO_SWEEP_PART_RECOVERY].present)
			return bo_yaml_error(&L->y, v, kp, "the layout has no recovery partition");
		if (check_fit(L, ns->recovery, BO_SWEEP_PART_RECOVERY, v, kp))
			return -1;
	}
	KP(kp, path, "role");
	if ((v = bo_yaml_map_get(&L->y, m, "role"))) {
		if (bo_yaml_enum(&L->y, v, kp, role_names, &ns->role))
			return -1;
		ns->role_node = v;
	}
	KP(kp, path, "strategy");
	if ((v = bo_yaml_map_get(&L->y, m, "strategy"))) {
		if (bo_yaml_enum(&L->y, v, kp, strategy_names, &ns->strategy) ||
		    check_strategy(L, (enum bo_sweep_strategy)ns->strategy, v, kp))
			return -1;
	}
	return 0;
}

static void apply_settings(struct loader *L, uint32_t i, const struct node_settings *ns, int ov)
{
	struct bo_scn_node *nd = &L->s->nodes[i];
	if (ns->firmware >= 0)
		nd->firmware = ns->firmware;
	if (ns->recovery >= 0)
		nd->recovery = ns->recovery;
	if (ns->role >= 0) {
		nd->role = (enum bo_scn_role)ns->role;
		L->role_src[i] = ns->role_node;
		L->role_ov[i] = ov;
	}
	if (ns->strategy >= 0)
		nd->strategy = (enum bo_sweep_strategy)ns->strategy;
}

static int load_nodes(struct loader *L)
{
	static const char *const keys[] = {"default", "overrides", NULL};
	static const char *const dkeys[] = {"firmware", "role", "strategy", "recovery", NULL};
	static const char *const okeys[] = {"id",       "ids",      "firmware",
					    "role",     "strategy", "recovery", NULL};
	yaml_node_t *nodes = bo_yaml_map_need(&L->y, L->root, "", "nodes");
	if (!nodes || bo_yaml_map_check(&L->y, nodes, "nodes", keys))
		return -1;
	yaml_node_t *d = bo_yaml_map_need(&L->y, nodes, "nodes", "default");
	if (!d || bo_yaml_map_check(&L->y, d, "nodes.default", dkeys))
		return -1;
	struct node_settings ns;
	if (!bo_yaml_map_need(&L->y, d, "nodes.default", "firmware") ||
	    load_settings(L, d, "nodes.default", &ns))
		return -1;
	if (ns.role < 0)
		ns.role = BO_ROLE_TARGET;
	if (ns.strategy < 0)
		ns.strategy = (int)L->s->strategy;
	for (uint32_t i = 0; i < L->s->node_count; i++) {
		L->s->nodes[i].recovery = BO_SCN_NONE;
		L->role_src[i] = ns.role_node ? ns.role_node : d;
		L->role_ov[i] = -1;
		apply_settings(L, i, &ns, -1);
	}
	yaml_node_t *ov = bo_yaml_map_get(&L->y, nodes, "overrides");
	if (!ov)
		return 0;
	if (bo_yaml_seq_check(&L->y, ov, "nodes.overrides", 0, BO_SCN_MAX_OVERRIDES))
		return -1;
	for (size_t k = 0; k < bo_yaml_seq_len(ov); k++) {
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "nodes.overrides", k);
		yaml_node_t *o = bo_yaml_seq_at(&L->y, ov, k);
		if (bo_yaml_map_check(&L->y, o, path, okeys))
			return -1;
		yaml_node_t *id = bo_yaml_map_get(&L->y, o, "id");
		yaml_node_t *ids = bo_yaml_map_get(&L->y, o, "ids");
		if (!id == !ids)
			return bo_yaml_error(&L->y, o, path,
					     "give the nodes with either id: ID or ids: [ID, ...]%s",
					     id ? ", not both" : "");
		if (bo_yaml_map_len(o) == 1)
			return bo_yaml_error(&L->y, o, path,
					     "an override sets firmware, role, strategy or recovery");
		uint32_t *list = NULL, n = 1, one;
		if (id) {
			KP(kp, path, "id");
			if (node_ref(L, id, kp, &one))
				return -1;
		} else {
			KP(kp, path, "ids");
			if (node_list(L, ids, kp, &list, &n))
				return -1;
		}
		if (load_settings(L, o, path, &ns)) {
			free(list);
			return -1;
		}
		for (uint32_t i = 0; i < n; i++)
			apply_settings(L, list ? list[i] : one, &ns, (int)k);
		free(list);
	}
	return 0;
}

/* The device's default strategy runs on its layout (node strategies are checked where
 * they are given). A recovery strategy without a recovery image is allowed: the
 * partition starts erased and a node that runs out of attempts has nothing to fall back
 * to (the run shows it bricked). */
static int check_nodes(struct loader *L)
{
	return check_strategy(L, L->s->strategy,
			      bo_yaml_map_get(&L->y, bo_yaml_map_get(&L->y, L->root, "device"),
					      "strategy"),
			      "device.strategy");
}

/* ---- initiator --------------------------------------------------------------------- */

static int load_transfer(struct loader *L, yaml_node_t *ini)
{
	static const char *const keys[] = {"mode", "block_size", "chunk_size", "timeout_base",
					   "group", NULL};
	static const char *const modes[] = {"push", "pull", NULL};
	struct bo_scn_initiator *in = &L->s->initiator;
	const struct mesh_config *c = &L->s->mesh;
	uint32_t chunk_max = c->seg_max_len + c->trans_mic - 7;
	in->mode = BO_XFER_PUSH;
	in->block_size = 4096;
	in->chunk_size = chunk_max;
	in->timeout_base = 10;
	in->group = 0xC000;
	yaml_node_t *t = bo_yaml_map_get(&L->y, ini, "transfer");
	if (!t)
		return 0;
	const char *p = "initiator.transfer";
	if (bo_yaml_map_check(&L->y, t, p, keys))
		return -1;
	yaml_node_t *v;
	int e;
	if ((v = bo_yaml_map_get(&L->y, t, "mode"))) {
		if (bo_yaml_enum(&L->y, v, "initiator.transfer.mode", modes, &e))
			return -1;
		in->mode = (enum bo_scn_transfer_mode)e;
	}
	if ((v = bo_yaml_map_get(&L->y, t, "block_size"))) {
		if (bo_yaml_size(&L->y, v, "initiator.transfer.block_size", &in->block_size))
			return -1;
		uint32_t b = in->block_size;
		if (b < 64 || b > 65536 || (b & (b - 1)))
			return bo_yaml_error(&L->y, v, "initiator.transfer.block_size",
					     "a block is a power of two from 64 to 65536 bytes, "
					     "found %u",
					     b);
	}
	if ((v = bo_yaml_map_get(&L->y, t, "chunk_size"))) {
		uint64_t x;
		if (bo_yaml_uint(&L->y, v, "initiator.transfer.chunk_size", 1, chunk_max, &x))
			return -1;
		in->chunk_size = (uint32_t)x;
	}
	if ((in->block_size + in->chunk_size - 1) / in->chunk_size > 256)
		return bo_yaml_error(&L->y, v ? v : t,
				     v ? "initiator.transfer.chunk_size" : "initiator.transfer",
				     "a %u-byte block in %u-byte chunks is %u chunks: at most 256",
				     in->block_size, in->chunk_size,
				     (in->block_size + in->chunk_size - 1) / in->chunk_size);
	uint32_t tb = in->timeout_base;
	if (get_u32(L, t, p, "timeout_base", 0, 65535, &tb))
		return -1;
	in->timeout_base = (uint16_t)tb;
	if ((v = bo_yaml_map_get(&L->y, t, "group"))) {
		uint64_t g;
		if (bo_yaml_uint(&L->y, v, "initiator.transfer.group", 0, 0xFFFF, &g))
			return -1;
		if (g != 0 && (g < MESH_GROUP_MIN || g > MESH_GROUP_MAX))
			return bo_yaml_error(&L->y, v, "initiator.transfer.group",
					     "expected a group address 0xC000 to 0xFEFF, or 0 for "
					     "unicast, found '%s'",
					     (const char *)v->data.scalar.value);
		in->group = (uint16_t)g;
	}
	return 0;
}

/* initiator.rollout: {wave_size: N, canary: {targets: IDS or N, soak: DURATION,
 * max_failed: K}} (after the targets are known). */
static int load_rollout(struct loader *L, yaml_node_t *ini)
{
	static const char *const rk[] = {"wave_size", "canary", NULL};
	static const char *const ck[] = {"targets", "soak", "max_failed", NULL};
	struct bo_scn_initiator *in = &L->s->initiator;
	uint32_t max = BO_DFD_SRV_RECEIVERS_MAX;
	yaml_node_t *r = bo_yaml_map_get(&L->y, ini, "rollout"), *c, *t;

	in->canary_soak_us = 10ull * 60u * US_PER_S;
	if (!r)
		return 0;
	if (bo_yaml_map_check(&L->y, r, "initiator.rollout", rk) ||
	    get_u32(L, r, "initiator.rollout", "wave_size", 1, max, &in->wave_size))
		return -1;
	c = bo_yaml_map_get(&L->y, r, "canary");
	if (!c)
		return 0;
	if (bo_yaml_map_check(&L->y, c, "initiator.rollout.canary", ck))
		return -1;
	in->canary = true;
	t = bo_yaml_map_need(&L->y, c, "initiator.rollout.canary", "targets");
	if (!t)
		return -1;
	if (t->type == YAML_SEQUENCE_NODE) {
		uint32_t *list, n;

		if (node_list(L, t, "initiator.rollout.canary.targets", &list, &n))
			return -1;
		for (uint32_t i = 0; i < n; i++) {
			struct bo_scn_node *nd = &L->s->nodes[list[i]];
			char ip[BO_YAML_PATH_MAX];

			bo_yaml_path_index(ip, sizeof ip, "initiator.rollout.canary.targets", i);
			if (!nd->target || list[i] == in->distributor) {
				bo_yaml_error(&L->y, bo_yaml_seq_at(&L->y, t, i), ip,
					      "node %u is not one of the initiator's targets",
					      nd->id);
				free(list);
				return -1;
			}
			nd->canary = true;
		}
		free(list);
		in->canary_size = n;
	} else {
		uint64_t x;

		if (bo_yaml_uint(&L->y, t, "initiator.rollout.canary.targets", 1, max, &x))
			return -1;
		in->canary_count = (uint32_t)x;
		in->canary_size = (uint32_t)x;
	}
	if (in->canary_size > max)
		return bo_yaml_error(&L->y, t, "initiator.rollout.canary.targets",
				     "%u targets do not fit one distribution (at most %u)",
				     in->canary_size, max);
	if (in->canary_size >= in->target_count)
		return bo_yaml_error(&L->y, t, "initiator.rollout.canary.targets",
				     "the canary would be all %u targets: name fewer",
				     in->target_count);
	return get_dur(L, c, "initiator.rollout.canary", "soak", 0, L->s->duration_us,
		       &in->canary_soak_us) ||
	       get_u32(L, c, "initiator.rollout.canary", "max_failed", 0, in->canary_size - 1u,
		       &in->canary_max_failed);
}

static int load_initiator(struct loader *L)
{
	static const char *const keys[] = {"distributor", "image",   "targets", "policy",
					   "transfer",    "retries", "backoff", "ttl",
					   "link",        "rollout", NULL};
	static const char *const policies[] = {"verify-and-apply", "verify-only", NULL};
	struct bo_scn_initiator *in = &L->s->initiator;
	yaml_node_t *ini = bo_yaml_map_need(&L->y, L->root, "", "initiator");
	if (!ini || bo_yaml_map_check(&L->y, ini, "initiator", keys))
		return -1;
	yaml_node_t *v = bo_yaml_map_need(&L->y, ini, "initiator", "distributor");
	if (!v || node_ref(L, v, "initiator.distributor", &in->distributor))
		return -1;
	/* Exactly one Distributor, and it is the Initiator's. */
	long first = -1;
	for (size_t i = 0; i < L->s->node_count; i++) {
		if (L->s->nodes[i].role != BO_ROLE_DISTRIBUTOR)
			continue;
		char rp[BO_YAML_PATH_MAX];
		if (L->role_ov[i] < 0)
			snprintf(rp, sizeof rp, "nodes.default.role");
		else
			snprintf(rp, sizeof rp, "nodes.overrides[%d].role", L->role_ov[i]);
		if (first >= 0)
			return bo_yaml_error(&L->y, L->role_src[i], rp,
					     "node %u is a second distributor (node %u is one): a "
					     "scenario has exactly one",
					     L->s->nodes[i].id, L->s->nodes[first].id);
		first = (long)i;
	}
	if (first < 0)
		return bo_yaml_error(&L->y, v, "initiator.distributor",
				     "no node has role: distributor (add {id: %s, role: "
				     "distributor} under nodes.overrides)",
				     (const char *)v->data.scalar.value);
	if ((uint32_t)first != in->distributor)
		return bo_yaml_error(&L->y, v, "initiator.distributor",
				     "node %u is not the distributor (node %u has role: "
				     "distributor)",
				     L->s->nodes[in->distributor].id, L->s->nodes[first].id);
	v = bo_yaml_map_need(&L->y, ini, "initiator", "image");
	if (!v || firmware_ref(L, v, "initiator.image", &in->image) ||
	    check_slot_fit(L, in->image, v, "initiator.image"))
		return -1;

	v = bo_yaml_map_get(&L->y, ini, "targets");
	in->targets_all = true;
	if (v && v->type == YAML_SEQUENCE_NODE) {
		uint32_t *list, n;
		in->targets_all = false;
		if (node_list(L, v, "initiator.targets", &list, &n))
			return -1;
		for (uint32_t i = 0; i < n; i++) {
			struct bo_scn_node *nd = &L->s->nodes[list[i]];
			if (nd->role != BO_ROLE_TARGET) {
				char ip[BO_YAML_PATH_MAX];
				bo_yaml_path_index(ip, sizeof ip, "initiator.targets", i);
				bo_yaml_error(&L->y, bo_yaml_seq_at(&L->y, v, i), ip,
					      "node %u is the %s, not a target", nd->id,
					      nd->role == BO_ROLE_DISTRIBUTOR ? "distributor"
										: "relay-only node");
				free(list);
				return -1;
			}
			nd->target = true;
		}
		in->target_count = n;
		free(list);
	} else if (v) {
		const char *s;
		if (bo_yaml_str(&L->y, v, "initiator.targets", &s))
			return -1;
		if (strcmp(s, "all"))
			return bo_yaml_error(&L->y, v, "initiator.targets",
					     "expected all or a list of node ids, found '%s'", s);
	}
	if (in->targets_all) {
		for (size_t i = 0; i < L->s->node_count; i++) {
			struct bo_scn_node *nd = &L->s->nodes[i];
			nd->target = nd->role == BO_ROLE_TARGET;
			in->target_count += nd->target;
		}
		if (in->target_count == 0)
			return bo_yaml_error(&L->y, v ? v : ini,
					     v ? "initiator.targets" : "initiator",
					     "no node is a target (every node but the distributor is "
					     "relay-only)");
	}
	int e;
	in->policy = BO_POLICY_VERIFY_AND_APPLY;
	if ((v = bo_yaml_map_get(&L->y, ini, "policy"))) {
		if (bo_yaml_enum(&L->y, v, "initiator.policy", policies, &e))
			return -1;
		in->policy = (enum bo_scn_policy)e;
	}
	uint64_t x = L->s->mesh.default_ttl;
	if ((v = bo_yaml_map_get(&L->y, ini, "ttl"))) {
		if (bo_yaml_uint(&L->y, v, "initiator.ttl", 0, 127, &x))
			return -1;
		if (x == 1)
			return bo_yaml_error(&L->y, v, "initiator.ttl",
					     "TTL 1 is prohibited in Bluetooth Mesh (use 0 or 2 to "
					     "127)");
	}
	in->ttl = (uint8_t)x;
	in->retries = 2;
	in->backoff_us = 60 * US_PER_S;
	if (get_u32(L, ini, "initiator", "retries", 0, 255, &in->retries) ||
	    get_dur(L, ini, "initiator", "backoff", 0, L->s->duration_us, &in->backoff_us))
		return -1;
	in->link_latency_us = 10000;
	in->link_throughput = 11520;
	if ((v = bo_yaml_map_get(&L->y, ini, "link"))) {
		static const char *const lk[] = {"latency", "throughput", NULL};
		if (bo_yaml_map_check(&L->y, v, "initiator.link", lk) ||
		    get_dur(L, v, "initiator.link", "latency", 0, 3600 * US_PER_S,
			    &in->link_latency_us))
			return -1;
		yaml_node_t *tp = bo_yaml_map_get(&L->y, v, "throughput");
		if (tp) {
			if (bo_yaml_size(&L->y, tp, "initiator.link.throughput",
					 &in->link_throughput))
				return -1;
			if (in->link_throughput == 0)
				return bo_yaml_error(&L->y, tp, "initiator.link.throughput",
						     "bytes per second, at least 1");
		}
	}
	if (load_rollout(L, ini))
		return -1;
	return load_transfer(L, ini);
}

/* ---- faults ------------------------------------------------------------------------ */

static int load_selector(struct loader *L, yaml_node_t *m, const char *parent,
			 struct bo_scn_selector *sel)
{
	char path[BO_YAML_PATH_MAX];
	KP(path, parent, "nodes");
	yaml_node_t *v = bo_yaml_map_need(&L->y, m, parent, "nodes");
	if (!v)
		return -1;
	if (v->type == YAML_SEQUENCE_NODE) {
		sel->kind = BO_SEL_LIST;
		return node_list(L, v, path, &sel->nodes, &sel->count);
	}
	const char *s;
	if (v->type != YAML_SCALAR_NODE || bo_yaml_is_null(v))
		return bo_yaml_error(&L->y, v, path,
				     "expected a list of node ids, all, random(N%%) or random(N), "
				     "found %s",
				     bo_yaml_kind(v));
	if (bo_yaml_str(&L->y, v, path, &s))
		return -1;
	if (!strcmp(s, "all")) {
		sel->kind = BO_SEL_ALL;
		return 0;
	}
	size_t n = strlen(s);
	if (!strncmp(s, "random(", 7) && n > 8 && s[n - 1] == ')') {
		char num[32];
		bool pct = s[n - 2] == '%';
		size_t len = n - 8 - pct;
		if (len > 0 && len < sizeof num) {
			memcpy(num, s + 7, len);
			num[len] = '\0';
			bool ok = true;
			for (size_t i = 0; i < len; i++)
				if (!((num[i] >= '0' && num[i] <= '9') || (pct && num[i] == '.')))
					ok = false;
			char *end = num;
			double x = ok ? strtod(num, &end) : 0;
			if (ok && !*end) {
				if (pct) {
					if (!(x > 0 && x <= 100))
						return bo_yaml_error(&L->y, v, path,
								     "random(N%%) needs 0 < N <= "
								     "100, found %s",
								     s);
					sel->kind = BO_SEL_RANDOM_PERCENT;
					sel->percent = x;
					return 0;
				}
				if (x < 1 || x > (double)L->s->node_count)
					return bo_yaml_error(&L->y, v, path,
							     "random(N) needs 1 <= N <= %zu (the "
							     "node count), found %s",
							     L->s->node_count, s);
				sel->kind = BO_SEL_RANDOM_COUNT;
				sel->count = (uint32_t)x;
				return 0;
			}
		}
	}
	return bo_yaml_error(&L->y, v, path,
			     "expected a list of node ids, all, random(N%%) or random(N), found "
			     "'%s'",
			     s);
}

/* "N/h": events per node per hour (units s, m, h, d). */
static int parse_rate(struct loader *L, yaml_node_t *v, const char *path, double *per_hour)
{
	const char *s;
	if (bo_yaml_str(&L->y, v, path, &s))
		return -1;
	const char *slash = strchr(s, '/');
	static const struct {
		const char *unit;
		double hours;
	} units[] = {{"s", 1.0 / 3600}, {"m", 1.0 / 60}, {"h", 1}, {"d", 24}};
	if (slash && slash > s && (size_t)(slash - s) < 24) {
		char num[24];
		memcpy(num, s, (size_t)(slash - s));
		num[slash - s] = '\0';
		bool ok = true;
		for (char *p = num; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				ok = false;
		char *end = num;
		double x = ok && num[0] != '.' ? strtod(num, &end) : 0;
		for (size_t i = 0; ok && num[0] != '.' && !*end && i < 4; i++) {
			if (strcmp(slash + 1, units[i].unit))
				continue;
			if (!(x > 0))
				return bo_yaml_error(&L->y, v, path, "the rate must be positive");
			*per_hour = x / units[i].hours;
			if (*per_hour > 3.6e6)
				return bo_yaml_error(&L->y, v, path,
						     "%s is more than one cut per millisecond", s);
			return 0;
		}
	}
	return bo_yaml_error(&L->y, v, path,
			     "expected a rate N/UNIT (2/h, 0.5/d, 1/m, 3/s), found '%s'", s);
}

/* A time in the run: before its end. */
static int load_time(struct loader *L, yaml_node_t *m, const char *parent, const char *key,
		     uint64_t *out)
{
	yaml_node_t *v = bo_yaml_map_need(&L->y, m, parent, key);
	char kp[BO_YAML_PATH_MAX];
	KP(kp, parent, key);
	if (!v || duration_node(L, v, kp, 0, UINT64_MAX, out))
		return -1;
	if (*out >= L->s->duration_us) {
		char d[32];
		bo_scenario_format_duration(L->s->duration_us, d, sizeof d);
		return bo_yaml_error(&L->y, v, kp,
				     "%s is not before the end of the scenario (duration: %s)",
				     (const char *)v->data.scalar.value, d);
	}
	return 0;
}

static int load_power_cut(struct loader *L, yaml_node_t *m, const char *path,
			  struct bo_scn_fault *f)
{
	static const char *const keys[] = {"nodes", "rate", "at", "during", "off", "max_cuts",
					   NULL};
	static const char *const phases[] = {"transfer", "verify", "apply", "boot", NULL};
	if (bo_yaml_map_check(&L->y, m, path, keys) || load_selector(L, m, path, &f->nodes))
		return -1;
	yaml_node_t *rate = bo_yaml_map_get(&L->y, m, "rate");
	yaml_node_t *at = bo_yaml_map_get(&L->y, m, "at");
	yaml_node_t *during = bo_yaml_map_get(&L->y, m, "during");
	int given = !!rate + !!at + !!during;
	if (given != 1)
		return bo_yaml_error(&L->y, m, path,
				     "say when with exactly one of rate: N/h, at: TIME, during: "
				     "PHASE (%s)",
				     given ? "found several" : "found none");
	char kp[BO_YAML_PATH_MAX];
	if (rate) {
		f->when = BO_CUT_RATE;
		KP(kp, path, "rate");
		if (parse_rate(L, rate, kp, &f->rate_per_hour))
			return -1;
	} else if (at) {
		f->when = BO_CUT_AT;
		if (load_time(L, m, path, "at", &f->at_us))
			return -1;
	} else {
		int e;
		f->when = BO_CUT_DURING;
		KP(kp, path, "during");
		if (bo_yaml_enum(&L->y, during, kp, phases, &e))
			return -1;
		f->during = (enum bo_scn_phase)e;
	}
	f->off_us = US_PER_S;
	if (get_dur(L, m, path, "off", 1, L->s->duration_us, &f->off_us))
		return -1;
	yaml_node_t *mc = bo_yaml_map_get(&L->y, m, "max_cuts");
	KP(kp, path, "max_cuts");
	if (mc && !rate)
		return bo_yaml_error(&L->y, mc, kp,
				     "max_cuts limits a rate: at and during cut once");
	return get_u32(L, m, path, "max_cuts", 1, UINT32_MAX, &f->max_cuts);
}

static int load_offline(struct loader *L, yaml_node_t *m, const char *path,
			struct bo_scn_fault *f)
{
	static const char *const keys[] = {"nodes", "from", "for", NULL};
	if (bo_yaml_map_check(&L->y, m, path, keys) || load_selector(L, m, path, &f->nodes) ||
	    load_time(L, m, path, "from", &f->from_us))
		return -1;
	yaml_node_t *v = bo_yaml_map_need(&L->y, m, path, "for");
	char kp[BO_YAML_PATH_MAX];
	KP(kp, path, "for");
	return v ? duration_node(L, v, kp, 1, UINT64_MAX / 4, &f->for_us) : -1;
}

static int load_bad_image(struct loader *L, yaml_node_t *m, const char *path,
			  struct bo_scn_fault *f)
{
	static const char *const keys[] = {"nodes", "firmware", NULL};
	if (bo_yaml_map_check(&L->y, m, path, keys) || load_selector(L, m, path, &f->nodes))
		return -1;
	char kp[BO_YAML_PATH_MAX];
	KP(kp, path, "nodes");
	yaml_node_t *nv = bo_yaml_map_get(&L->y, m, "nodes");
	for (uint32_t i = 0; f->nodes.kind == BO_SEL_LIST && i < f->nodes.count; i++) {
		const struct bo_scn_node *nd = &L->s->nodes[f->nodes.nodes[i]];
		if (!nd->target) {
			char ip[BO_YAML_PATH_MAX];
			bo_yaml_path_index(ip, sizeof ip, kp, i);
			return bo_yaml_error(&L->y, bo_yaml_seq_at(&L->y, nv, i), ip,
					     "node %u is not a target of the initiator", nd->id);
		}
	}
	yaml_node_t *v = bo_yaml_map_need(&L->y, m, path, "firmware");
	KP(kp, path, "firmware");
	if (!v || firmware_ref(L, v, kp, &f->firmware) || check_slot_fit(L, f->firmware, v, kp))
		return -1;
	if (f->firmware == L->s->initiator.image)
		return bo_yaml_error(&L->y, v, kp,
				     "'%s' is the initiator's image; a bad image replaces it",
				     L->s->firmware[f->firmware].name);
	return 0;
}

static int load_faults(struct loader *L)
{
	static const char *const kinds[] = {"power_cut", "offline", "bad_image", NULL};
	yaml_node_t *fs = bo_yaml_map_get(&L->y, L->root, "faults");
	if (!fs)
		return 0;
	if (bo_yaml_seq_check(&L->y, fs, "faults", 0, BO_SCN_MAX_FAULTS))
		return -1;
	size_t n = bo_yaml_seq_len(fs);
	L->s->faults = calloc(n ? n : 1, sizeof L->s->faults[0]);
	if (!L->s->faults)
		return oom(L);
	for (size_t i = 0; i < n; i++) {
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "faults", i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, fs, i);
		if (bo_yaml_map_check(&L->y, item, path, kinds))
			return -1;
		if (bo_yaml_map_len(item) != 1)
			return bo_yaml_error(&L->y, item, path,
					     "a fault is one of power_cut, offline, bad_image; put "
					     "each on its own '- ' line");
		struct bo_scn_fault *f = &L->s->faults[i];
		L->s->fault_count = i + 1;
		f->line = bo_yaml_line(item);
		f->firmware = BO_SCN_NONE;
		const char *k = (const char *)bo_yaml_map_key_at(&L->y, item, 0)->data.scalar.value;
		yaml_node_t *v = bo_yaml_map_value_at(&L->y, item, 0);
		KP(kp, path, k);
		int rc;
		if (!strcmp(k, "power_cut")) {
			f->kind = BO_FAULT_POWER_CUT;
			rc = load_power_cut(L, v, kp, f);
		} else if (!strcmp(k, "offline")) {
			f->kind = BO_FAULT_OFFLINE;
			rc = load_offline(L, v, kp, f);
		} else {
			f->kind = BO_FAULT_BAD_IMAGE;
			rc = load_bad_image(L, v, kp, f);
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- expect ------------------------------------------------------------------------ */

/* A positive duration no longer than the scenario's. */
static int within(struct loader *L, yaml_node_t *v, const char *path, uint64_t *out)
{
	if (duration_node(L, v, path, 1, UINT64_MAX / 4, out))
		return -1;
	if (*out > L->s->duration_us) {
		char d[32];
		bo_scenario_format_duration(L->s->duration_us, d, sizeof d);
		return bo_yaml_error(&L->y, v, path,
				     "%s is longer than the scenario (duration: %s)",
				     (const char *)v->data.scalar.value, d);
	}
	return 0;
}

static int load_expect(struct loader *L)
{
	static const char *const kinds[] = {"converged", "no_bricked", "max_duration",
					    "max_offers", NULL};
	yaml_node_t *es = bo_yaml_map_get(&L->y, L->root, "expect");
	if (!es)
		return 0;
	if (bo_yaml_seq_check(&L->y, es, "expect", 0, BO_SCN_MAX_EXPECT))
		return -1;
	size_t n = bo_yaml_seq_len(es);
	L->s->expect = calloc(n ? n : 1, sizeof L->s->expect[0]);
	if (!L->s->expect)
		return oom(L);
	for (size_t i = 0; i < n; i++) {
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "expect", i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, es, i);
		if (bo_yaml_map_check(&L->y, item, path, kinds))
			return -1;
		if (bo_yaml_map_len(item) != 1)
			return bo_yaml_error(&L->y, item, path,
					     "an expectation is one of converged, no_bricked, "
					     "max_duration, max_offers; put each on its own '- ' "
					     "line");
		struct bo_scn_expect *e = &L->s->expect[i];
		L->s->expect_count = i + 1;
		e->line = bo_yaml_line(item);
		e->firmware = BO_SCN_NONE;
		const char *k = (const char *)bo_yaml_map_key_at(&L->y, item, 0)->data.scalar.value;
		yaml_node_t *v = bo_yaml_map_value_at(&L->y, item, 0);
		KP(kp, path, k);
		if (!strcmp(k, "converged")) {
			static const char *const keys[] = {"firmware", "fraction", "within", NULL};
			e->kind = BO_EXPECT_CONVERGED;
			if (bo_yaml_map_check(&L->y, v, kp, keys))
				return -1;
			char p2[BO_YAML_PATH_MAX];
			yaml_node_t *w = bo_yaml_map_need(&L->y, v, kp, "firmware");
			KP(p2, kp, "firmware");
			if (!w || firmware_ref(L, w, p2, &e->firmware))
				return -1;
			e->fraction = 1.0;
			KP(p2, kp, "fraction");
			if ((w = bo_yaml_map_get(&L->y, v, "fraction")) &&
			    get_real(L, w, p2, 0, 1, &e->fraction))
				return -1;
			e->within_us = L->s->duration_us;
			if ((w = bo_yaml_map_get(&L->y, v, "within"))) {
				KP(p2, kp, "within");
				if (within(L, w, p2, &e->within_us))
					return -1;
			}
		} else if (!strcmp(k, "no_bricked")) {
			bool b;
			e->kind = BO_EXPECT_NO_BRICKED;
			if (bo_yaml_bool(&L->y, v, kp, &b))
				return -1;
			if (!b)
				return bo_yaml_error(&L->y, v, kp,
						     "no_bricked: false checks nothing; remove it");
		} else if (!strcmp(k, "max_duration")) {
			e->kind = BO_EXPECT_MAX_DURATION;
			if (within(L, v, kp, &e->within_us))
				return -1;
		} else {
			uint64_t x;
			e->kind = BO_EXPECT_MAX_OFFERS;
			if (bo_yaml_uint(&L->y, v, kp, 1, 255, &x))
				return -1;
			e->max_offers = (uint32_t)x;
		}
	}
	return 0;
}

/* ---- root -------------------------------------------------------------------------- */

static int load_root(struct loader *L)
{
	static const char *const keys[] = {"scenario", "description", "seed",     "duration",
					   "device",   "topology",    "mesh",     "firmware",
					   "nodes",    "initiator",   "faults",   "expect",
					   NULL};
	L->root = bo_yaml_root(&L->y);
	yaml_node_t *root = L->root;
	if (root && root->type == YAML_MAPPING_NODE && !bo_yaml_map_get(&L->y, root, "scenario") &&
	    bo_yaml_map_get(&L->y, root, "sweep"))
		return bo_yaml_error(&L->y, root, NULL,
				     "this is a sweep file (sweep:), not a scenario file");
	if (root && root->type == YAML_MAPPING_NODE && !bo_yaml_map_get(&L->y, root, "scenario"))
		return bo_yaml_map_need(&L->y, root, "", "scenario") ? 0 : -1;
	if (bo_yaml_map_check(&L->y, root, "", keys))
		return -1;
	if (load_head(L) || load_device(L) || load_topology(L) || load_mesh(L) ||
	    load_firmware(L) || load_nodes(L) || check_nodes(L) || load_initiator(L) ||
	    load_faults(L) || load_expect(L))
		return -1;
	return 0;
}

static struct bo_scenario *new_scenario(const char *file)
{
	struct bo_scenario *s = calloc(1, sizeof *s);
	if (s)
		snprintf(s->file, sizeof s->file, "%s", file ? file : "<input>");
	return s;
}

static int finish(struct loader *L, int rc, struct bo_scenario **out)
{
	bo_yaml_free(&L->y);
	free(L->role_src);
	free(L->role_ov);
	if (rc) {
		bo_scenario_free(L->s);
		*out = NULL;
		return BO_SCN_E_INVALID;
	}
	*out = L->s;
	return BO_SCN_OK;
}

int bo_scenario_load_file(const char *path, struct bo_scenario **out, char *err, size_t errlen)
{
	struct loader L;
	memset(&L, 0, sizeof L);
	*out = NULL;
	L.s = new_scenario(path);
	if (!L.s) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return BO_SCN_E_NOMEM;
	}
	int rc = bo_yaml_load_file(&L.y, path, err, errlen);
	if (rc == 0)
		rc = load_root(&L);
	return finish(&L, rc, out);
}

int bo_scenario_load_buffer(const char *name, const void *buf, size_t len,
			    struct bo_scenario **out, char *err, size_t errlen)
{
	struct loader L;
	memset(&L, 0, sizeof L);
	*out = NULL;
	L.s = new_scenario(name);
	if (!L.s) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name ? name : "<input>");
		return BO_SCN_E_NOMEM;
	}
	int rc = bo_yaml_load_buffer(&L.y, name, buf, len, err, errlen);
	if (rc == 0)
		rc = load_root(&L);
	return finish(&L, rc, out);
}

void bo_scenario_free(struct bo_scenario *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->fault_count; i++)
		free(s->faults[i].nodes.nodes);
	free(s->faults);
	free(s->expect);
	free(s->nodes);
	free(s->topology.links);
	free(s->description);
	free(s);
}
