/* sim/sweep_file.c: load and check a sweep file (format in sim/sweep_file.h). */
#include "sim/sweep_file.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "sim/yaml_util.h"


/* Image header bytes in front of the payload (imgtool's default -H 32). */
#define HEADER_SIZE 32u

static const char *const strategy_names[] = {"overwrite", "swap-scratch", "swap-move", "recovery",
					     "swap-scratch+recovery", NULL};
static const char *const behaviour_names[] = {"good", "no-confirm", "crash-on-boot", "no-dfu",
					      NULL};
static const char *const key_names[] = {"trusted", "untrusted", NULL};

const char *bo_sweep_strategy_name(enum bo_sweep_strategy s)
{
	return (unsigned)s < 5 ? strategy_names[s] : "?";
}

const char *bo_sweep_behaviour_name(enum bo_sweep_behaviour b)
{
	return (unsigned)b < 4 ? behaviour_names[b] : "?";
}

int bo_sweep_find_image(const struct bo_sweep *s, const char *name)
{
	for (size_t i = 0; i < s->image_count; i++)
		if (!strcmp(s->images[i].name, name))
			return (int)i;
	return -1;
}

/* ---- Loader ------------------------------------------------------------------------ */

struct loader {
	struct bo_yaml y;
	struct bo_sweep *s;
	yaml_node_t *image_nodes[BO_SWEEP_MAX_IMAGES];
};

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

/* MAJ[.MIN[.REV[+BUILD]]], each a decimal number within MCUboot's field ranges. */
int bo_sweep_parse_version(const char *s, struct bo_sweep_version *v)
{
	unsigned long long f[4] = {0, 0, 0, 0};
	static const unsigned long long max[4] = {255, 255, 65535, 4294967295ull};
	const char *p = s;
	for (int i = 0; i < 4; i++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned long long x = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			x = x * 10 + (unsigned)(*p++ - '0');
			if (++digits > 10)
				return -1;
		}
		if (x > max[i])
			return -1;
		f[i] = x;
		if (*p == '\0')
			break;
		if (i < 2 && *p == '.')
			p++;
		else if (i == 2 && *p == '+')
			p++;
		else
			return -1;
		if (*p == '\0')
			return -1;
	}
	if (*p)
		return -1;
	v->major = (uint8_t)f[0];
	v->minor = (uint8_t)f[1];
	v->revision = (uint16_t)f[2];
	v->build = (uint32_t)f[3];
	return 0;
}

/* FNV-1a of the name: the default payload seed. */
uint64_t bo_sweep_name_seed(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A reference to an image by name; allow_none accepts `none` (BO_SWEEP_NO_IMAGE). */
static int image_ref(struct loader *L, yaml_node_t *node, const char *path, bool allow_none,
		     int *out)
{
	const char *name;
	if (bo_yaml_str(&L->y, node, path, &name))
		return -1;
	if (allow_none && !strcmp(name, "none")) {
		*out = BO_SWEEP_NO_IMAGE;
		return 0;
	}
	int i = bo_sweep_find_image(L->s, name);
	if (i < 0)
		return bo_yaml_error(&L->y, node, path, "unknown image '%s'%s", name,
				     allow_none ? " (define it under images:, or use none)"
						: " (define it under images:)");
	*out = i;
	return 0;
}

static int load_name(struct loader *L, yaml_node_t *root)
{
	yaml_node_t *n = bo_yaml_map_need(&L->y, root, "", "sweep");
	const char *name;
	if (!n || bo_yaml_str(&L->y, n, "sweep", &name))
		return -1;
	if (!name_ok(name, BO_SWEEP_NAME_MAX))
		return bo_yaml_error(&L->y, n, "sweep",
				     "the name must be 1 to %d characters of A-Z a-z 0-9 . _ -",
				     BO_SWEEP_NAME_MAX - 1);
	snprintf(L->s->name, sizeof L->s->name, "%s", name);
	return 0;
}

static int load_strategy(struct loader *L, yaml_node_t *root)
{
	if (L->s->plugin[0])
		return 0; /* a plug-in's settings are in firmware.options */
	yaml_node_t *n = bo_yaml_map_need(&L->y, root, "", "strategy");
	int v;
	if (!n || bo_yaml_enum(&L->y, n, "strategy", strategy_names, &v))
		return -1;
	L->s->strategy = (enum bo_sweep_strategy)v;
	bool need_scratch = v == BO_SWEEP_SWAP_SCRATCH || v == BO_SWEEP_SWAP_SCRATCH_RECOVERY;
	bool need_recovery = v == BO_SWEEP_RECOVERY || v == BO_SWEEP_SWAP_SCRATCH_RECOVERY;
	if (need_scratch && !L->s->device.parts[BO_SWEEP_PART_SCRATCH].present)
		return bo_yaml_error(&L->y, n, "strategy",
				     "%s needs a scratch partition (device.layout.scratch)",
				     strategy_names[v]);
	if (need_recovery && !L->s->device.parts[BO_SWEEP_PART_RECOVERY].present)
		return bo_yaml_error(&L->y, n, "strategy",
				     "%s needs a recovery partition (device.layout.recovery)",
				     strategy_names[v]);
	if (bo_device_check_coreboot_units(&L->y, bo_yaml_map_get(&L->y, root, "device"),
					   &L->s->device))
		return -1;

	L->s->attempts = 3;
	yaml_node_t *a = bo_yaml_map_get(&L->y, root, "attempts");
	uint64_t x;
	if (a) {
		if (bo_yaml_uint(&L->y, a, "attempts", 1, 255, &x))
			return -1;
		L->s->attempts = (unsigned)x;
	}
	yaml_node_t *d = bo_yaml_map_get(&L->y, root, "allow_downgrade");
	if (d && bo_yaml_bool(&L->y, d, "allow_downgrade", &L->s->allow_downgrade))
		return -1;
	return 0;
}

/* A path from the file, relative to the sweep file's folder unless absolute. */
static void resolve_path(const struct bo_sweep *s, const char *p, char *out, size_t n)
{
	const char *slash = strrchr(s->file, '/');
	if (p[0] == '/' || !slash)
		snprintf(out, n, "%s", p);
	else
		snprintf(out, n, "%.*s/%s", (int)(slash - s->file), s->file, p);
}

static int load_behaviour(struct loader *L, yaml_node_t *val, const char *path,
			  struct bo_sweep_image *img)
{
	char kp[BO_YAML_PATH_MAX];
	int e;
	yaml_node_t *b = bo_yaml_map_get(&L->y, val, "behaviour");
	bo_yaml_path_key(kp, sizeof kp, path, "behaviour");
	img->behaviour = BO_SWEEP_GOOD;
	if (b) {
		if (bo_yaml_enum(&L->y, b, kp, behaviour_names, &e))
			return -1;
		img->behaviour = (enum bo_sweep_behaviour)e;
	}
	return 0;
}

/* images.NAME: {file: PATH, behaviour: B, bootable: BOOL}: a user's signed image. */
static int load_image_file(struct loader *L, yaml_node_t *val, const char *path,
			   struct bo_sweep_image *img)
{
	static const char *const built_only[] = {"version", "size", "key", "corrupt", "seed", NULL};
	char kp[BO_YAML_PATH_MAX];
	for (size_t i = 0; built_only[i]; i++) {
		yaml_node_t *x = bo_yaml_map_get(&L->y, val, built_only[i]);
		if (x) {
			bo_yaml_path_key(kp, sizeof kp, path, built_only[i]);
			return bo_yaml_error(&L->y, x, kp,
					     "an image file (file:) is used as it is: %s is for images "
					     "brownout builds",
					     built_only[i]);
		}
	}
	yaml_node_t *f = bo_yaml_map_get(&L->y, val, "file");
	const char *fs;
	bo_yaml_path_key(kp, sizeof kp, path, "file");
	if (bo_yaml_str(&L->y, f, kp, &fs))
		return -1;
	resolve_path(L->s, fs, img->file, sizeof img->file);
	struct stat st;
	if (stat(img->file, &st) != 0 || !S_ISREG(st.st_mode))
		return bo_yaml_error(&L->y, f, kp, "cannot read image file '%s': %s", fs,
				     stat(img->file, &st) ? strerror(errno) : "not a regular file");
	if (st.st_size < 32 || st.st_size > (1 << 26))
		return bo_yaml_error(&L->y, f, kp, "'%s': %lld bytes is not an image", fs,
				     (long long)st.st_size);
	img->size = (uint32_t)st.st_size - HEADER_SIZE; /* payload as for built images */
	if (load_behaviour(L, val, path, img))
		return -1;
	yaml_node_t *bt = bo_yaml_map_get(&L->y, val, "bootable");
	bo_yaml_path_key(kp, sizeof kp, path, "bootable");
	return bt ? bo_yaml_bool(&L->y, bt, kp, &img->bootable) : 0;
}

/* firmware: {plugin: PATH, options: {K: V}} */
static int load_firmware(struct loader *L, yaml_node_t *root)
{
	static const char *const keys[] = {"plugin", "options", NULL};
	static const char *const core_keys[] = {"strategy", "attempts", "allow_downgrade", NULL};
	yaml_node_t *fw = bo_yaml_map_get(&L->y, root, "firmware");
	if (!fw)
		return 0;
	L->s->firmware_line = bo_yaml_line(fw);
	L->s->firmware_col = bo_yaml_col(fw);
	for (size_t i = 0; core_keys[i]; i++) {
		yaml_node_t *x = bo_yaml_map_get(&L->y, root, core_keys[i]);
		if (x)
			return bo_yaml_error(&L->y, x, core_keys[i],
					     "%s is core/boot's; a firmware plug-in takes its settings "
					     "in firmware.options",
					     core_keys[i]);
	}
	if (bo_yaml_map_check(&L->y, fw, "firmware", keys))
		return -1;
	yaml_node_t *p = bo_yaml_map_need(&L->y, fw, "firmware", "plugin");
	const char *ps;
	if (!p || bo_yaml_str(&L->y, p, "firmware.plugin", &ps))
		return -1;
	if (!*ps)
		return bo_yaml_error(&L->y, p, "firmware.plugin", "name a shared object");
	resolve_path(L->s, ps, L->s->plugin, sizeof L->s->plugin);
	yaml_node_t *o = bo_yaml_map_get(&L->y, fw, "options");
	if (!o)
		return 0;
	if (bo_yaml_map_check(&L->y, o, "firmware.options", NULL))
		return -1;
	size_t n = bo_yaml_map_len(o);
	if (n > BO_SWEEP_MAX_OPTIONS)
		return bo_yaml_error(&L->y, o, "firmware.options", "at most %d options",
				     BO_SWEEP_MAX_OPTIONS);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *k = bo_yaml_map_key_at(&L->y, o, i), *v = bo_yaml_map_value_at(&L->y, o, i);
		const char *ks = (const char *)k->data.scalar.value, *vs;
		char kp[BO_YAML_PATH_MAX];
		bo_yaml_path_key(kp, sizeof kp, "firmware.options", ks);
		if (bo_yaml_str(&L->y, v, kp, &vs))
			return -1;
		struct bo_sweep_option *opt = &L->s->options[L->s->option_count++];
		if (strlen(ks) >= sizeof opt->key || strlen(vs) >= sizeof opt->value)
			return bo_yaml_error(&L->y, v, kp, "keys are at most %zu and values %zu characters",
					     sizeof opt->key - 1, sizeof opt->value - 1);
		snprintf(opt->key, sizeof opt->key, "%s", ks);
		/* $sweep_dir: this file's folder, so that an option naming a file (a key, say)
		 * works from any working directory */
		const char *var = strstr(vs, "$sweep_dir");
		if (var) {
			const char *slash = strrchr(L->s->file, '/');
			int dl = slash ? (int)(slash - L->s->file) : 1;
			const char *dir = slash ? L->s->file : ".";
			int w = snprintf(opt->value, sizeof opt->value, "%.*s%.*s%s", (int)(var - vs), vs,
					 dl, dir, var + strlen("$sweep_dir"));
			if (w < 0 || (size_t)w >= sizeof opt->value)
				return bo_yaml_error(&L->y, v, kp, "the value is too long once $sweep_dir "
						     "is replaced");
		} else {
			snprintf(opt->value, sizeof opt->value, "%s", vs);
		}
	}
	return 0;
}

static int load_image(struct loader *L, yaml_node_t *key, yaml_node_t *val,
		      struct bo_sweep_image *img)
{
	static const char *const keys[] = {"version", "size", "behaviour", "key",
					   "corrupt", "seed", "file", "bootable", NULL};
	const char *name = (const char *)key->data.scalar.value;
	char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
	bo_yaml_path_key(path, sizeof path, "images", name);
	if (!name_ok(name, BO_SWEEP_IMAGE_NAME_MAX))
		return bo_yaml_error(&L->y, key, path,
				     "an image name must be 1 to %d characters of A-Z a-z 0-9 . _ -",
				     BO_SWEEP_IMAGE_NAME_MAX - 1);
	if (!strcmp(name, "none"))
		return bo_yaml_error(&L->y, key, path,
				     "'none' is reserved (expect: {upgrade: none}); rename the image");
	snprintf(img->name, sizeof img->name, "%s", name);
	if (bo_yaml_map_check(&L->y, val, path, keys))
		return -1;
	img->bootable = true;
	if (bo_yaml_map_get(&L->y, val, "file"))
		return load_image_file(L, val, path, img);
	yaml_node_t *bt = bo_yaml_map_get(&L->y, val, "bootable");
	if (bt)
		return bo_yaml_error(&L->y, bt, path,
				     "bootable is for image files (file:); a built image is bootable "
				     "unless key: untrusted or corrupt: true");

	yaml_node_t *v = bo_yaml_map_need(&L->y, val, path, "version");
	const char *vs;
	bo_yaml_path_key(kp, sizeof kp, path, "version");
	if (!v || bo_yaml_str(&L->y, v, kp, &vs))
		return -1;
	if (bo_sweep_parse_version(vs, &img->version))
		return bo_yaml_error(&L->y, v, kp,
				     "expected MAJ.MIN.REV[+BUILD] (at most 255.255.65535+4294967295), "
				     "found '%s'",
				     vs);

	bo_yaml_path_key(kp, sizeof kp, path, "size");
	yaml_node_t *sz = bo_yaml_map_need(&L->y, val, path, "size");
	if (!sz || bo_yaml_size(&L->y, sz, kp, &img->size))
		return -1;
	if (img->size == 0)
		return bo_yaml_error(&L->y, sz, kp, "an image needs at least one payload byte");

	int e;
	if (load_behaviour(L, val, path, img))
		return -1;
	yaml_node_t *k = bo_yaml_map_get(&L->y, val, "key");
	bo_yaml_path_key(kp, sizeof kp, path, "key");
	img->key = BO_SWEEP_KEY_TRUSTED;
	if (k) {
		if (bo_yaml_enum(&L->y, k, kp, key_names, &e))
			return -1;
		img->key = (enum bo_sweep_key)e;
	}
	yaml_node_t *c = bo_yaml_map_get(&L->y, val, "corrupt");
	bo_yaml_path_key(kp, sizeof kp, path, "corrupt");
	if (c && bo_yaml_bool(&L->y, c, kp, &img->corrupt))
		return -1;
	yaml_node_t *sd = bo_yaml_map_get(&L->y, val, "seed");
	bo_yaml_path_key(kp, sizeof kp, path, "seed");
	img->seed = bo_sweep_name_seed(name);
	if (sd && bo_yaml_uint(&L->y, sd, kp, 0, UINT64_MAX, &img->seed))
		return -1;
	img->bootable = img->key == BO_SWEEP_KEY_TRUSTED && !img->corrupt;
	return 0;
}

static int load_images(struct loader *L, yaml_node_t *root)
{
	yaml_node_t *imgs = bo_yaml_map_need(&L->y, root, "", "images");
	if (!imgs || bo_yaml_map_check(&L->y, imgs, "images", NULL))
		return -1;
	size_t n = bo_yaml_map_len(imgs);
	if (n == 0)
		return bo_yaml_error(&L->y, imgs, "images", "define at least one image");
	if (n > BO_SWEEP_MAX_IMAGES)
		return bo_yaml_error(&L->y, imgs, "images", "at most %d images, found %zu",
				     BO_SWEEP_MAX_IMAGES, n);
	for (size_t i = 0; i < n; i++) {
		if (load_image(L, bo_yaml_map_key_at(&L->y, imgs, i),
			       bo_yaml_map_value_at(&L->y, imgs, i), &L->s->images[i]))
			return -1;
		L->image_nodes[i] = bo_yaml_map_key_at(&L->y, imgs, i);
		L->s->image_count = i + 1;
	}
	/* Two images with the same inputs would be the same bytes: the sweep could not tell
	 * which one runs. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			const struct bo_sweep_image *a = &L->s->images[j], *b = &L->s->images[i];
			if (a->size == b->size && a->seed == b->seed &&
			    a->behaviour == b->behaviour && a->key == b->key &&
			    a->corrupt == b->corrupt && !memcmp(&a->version, &b->version,
								sizeof a->version)) {
				char path[BO_YAML_PATH_MAX];
				bo_yaml_path_key(path, sizeof path, "images", b->name);
				return bo_yaml_error(&L->y, L->image_nodes[i], path,
						     "same bytes as image '%s' (same version, size, "
						     "behaviour, key and seed)",
						     a->name);
			}
		}
	}
	return 0;
}

static int load_initial(struct loader *L, yaml_node_t *root)
{
	static const char *const keys[] = {"primary", "upgrade", "recovery", NULL};
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
		L->s->initial[p] = BO_SWEEP_UNSET;
	yaml_node_t *init = bo_yaml_map_get(&L->y, root, "initial");
	if (init) {
		if (bo_yaml_map_check(&L->y, init, "initial", keys))
			return -1;
		static const enum bo_sweep_part parts[] = {BO_SWEEP_PART_PRIMARY,
							   BO_SWEEP_PART_UPGRADE,
							   BO_SWEEP_PART_RECOVERY};
		for (size_t i = 0; i < 3; i++) {
			enum bo_sweep_part p = parts[i];
			yaml_node_t *v = bo_yaml_map_get(&L->y, init, bo_sweep_part_name(p));
			if (!v)
				continue;
			char path[BO_YAML_PATH_MAX];
			bo_yaml_path_key(path, sizeof path, "initial", bo_sweep_part_name(p));
			if (image_ref(L, v, path, false, &L->s->initial[p]))
				return -1;
			if (!L->s->device.parts[p].present)
				return bo_yaml_error(&L->y, v, path,
						     "the layout has no %s partition",
						     bo_sweep_part_name(p));
		}
	}
	enum bo_sweep_strategy st = L->s->strategy;
	if ((st == BO_SWEEP_RECOVERY || st == BO_SWEEP_SWAP_SCRATCH_RECOVERY) &&
	    L->s->initial[BO_SWEEP_PART_RECOVERY] == BO_SWEEP_UNSET)
		return bo_yaml_error(&L->y, init ? init : root, init ? "initial" : "",
				     "strategy %s needs a recovery image: initial: {recovery: "
				     "IMAGE}",
				     strategy_names[st]);
	return 0;
}

static int load_step(struct loader *L, yaml_node_t *n, const char *path,
		     struct bo_sweep_step *st)
{
	static const char *const keys[] = {"download", "request", "corrupt", NULL};
	static const char *const corrupt_names[] = {"primary", "upgrade", "recovery", NULL};
	static const int corrupt_parts[] = {BO_SWEEP_PART_PRIMARY, BO_SWEEP_PART_UPGRADE,
					    BO_SWEEP_PART_RECOVERY};
	static const char *const request_names[] = {"test", "perm", NULL};
	st->line = bo_yaml_line(n);
	st->image = -1;
	if (n->type == YAML_SCALAR_NODE && !bo_yaml_is_null(n)) {
		const char *s = (const char *)n->data.scalar.value;
		if (!strcmp(s, "reboot")) {
			st->kind = BO_STEP_REBOOT;
			return 0;
		}
		if (!strcmp(s, "confirm")) {
			st->kind = BO_STEP_CONFIRM;
			return 0;
		}
		if (!strcmp(s, "download") || !strcmp(s, "request"))
			return bo_yaml_error(&L->y, n, path, "'%s' needs a value: '- %s: %s'", s, s,
					     !strcmp(s, "download") ? "IMAGE" : "test|perm");
		return bo_yaml_error(&L->y, n, path,
				     "unknown step '%s' (valid: download: IMAGE, request: "
				     "test|perm, corrupt: SLOT, reboot, confirm)",
				     s);
	}
	if (n->type != YAML_MAPPING_NODE)
		return bo_yaml_error(&L->y, n, path,
				     "expected a step (download: IMAGE, request: test|perm, "
				     "reboot, confirm), found %s",
				     bo_yaml_kind(n));
	if (bo_yaml_map_check(&L->y, n, path, keys))
		return -1;
	if (bo_yaml_map_len(n) != 1)
		return bo_yaml_error(&L->y, n, path,
				     "a step has exactly one action; put each on its own '- ' line");
	yaml_node_t *v;
	char kp[BO_YAML_PATH_MAX];
	if ((v = bo_yaml_map_get(&L->y, n, "download"))) {
		bo_yaml_path_key(kp, sizeof kp, path, "download");
		st->kind = BO_STEP_DOWNLOAD;
		return image_ref(L, v, kp, false, &st->image);
	}
	int e;
	if ((v = bo_yaml_map_get(&L->y, n, "corrupt"))) {
		bo_yaml_path_key(kp, sizeof kp, path, "corrupt");
		if (bo_yaml_enum(&L->y, v, kp, corrupt_names, &e))
			return -1;
		if (!L->s->device.parts[corrupt_parts[e]].present)
			return bo_yaml_error(&L->y, v, kp, "the layout has no %s partition",
					     corrupt_names[e]);
		st->kind = BO_STEP_CORRUPT;
		st->part = corrupt_parts[e];
		return 0;
	}
	v = bo_yaml_map_get(&L->y, n, "request");
	bo_yaml_path_key(kp, sizeof kp, path, "request");
	if (bo_yaml_enum(&L->y, v, kp, request_names, &e))
		return -1;
	st->kind = BO_STEP_REQUEST;
	st->permanent = e == 1;
	return 0;
}

static int load_steps(struct loader *L, yaml_node_t *root)
{
	yaml_node_t *steps = bo_yaml_map_need(&L->y, root, "", "steps");
	if (!steps || bo_yaml_seq_check(&L->y, steps, "steps", 1, BO_SWEEP_MAX_STEPS))
		return -1;
	size_t n = bo_yaml_seq_len(steps);
	L->s->steps = calloc(n, sizeof L->s->steps[0]);
	if (!L->s->steps)
		return bo_yaml_error(&L->y, NULL, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "steps", i);
		if (load_step(L, bo_yaml_seq_at(&L->y, steps, i), path, &L->s->steps[i]))
			return -1;
		L->s->step_count = i + 1;
	}
	return 0;
}

static int load_expect(struct loader *L, yaml_node_t *root)
{
	static const char *const keys[] = {"running", "confirmed", "primary", "upgrade", NULL};
	struct bo_sweep_expect *e = &L->s->expect;
	e->running = e->primary = e->upgrade = BO_SWEEP_UNSET;
	yaml_node_t *ex = bo_yaml_map_need(&L->y, root, "", "expect");
	if (!ex || bo_yaml_map_check(&L->y, ex, "expect", keys))
		return -1;
	yaml_node_t *v = bo_yaml_map_need(&L->y, ex, "expect", "running");
	if (!v || image_ref(L, v, "expect.running", false, &e->running))
		return -1;
	if ((v = bo_yaml_map_get(&L->y, ex, "confirmed"))) {
		if (bo_yaml_bool(&L->y, v, "expect.confirmed", &e->confirmed))
			return -1;
		e->has_confirmed = true;
	}
	if ((v = bo_yaml_map_get(&L->y, ex, "primary")) &&
	    image_ref(L, v, "expect.primary", true, &e->primary))
		return -1;
	if ((v = bo_yaml_map_get(&L->y, ex, "upgrade")) &&
	    image_ref(L, v, "expect.upgrade", true, &e->upgrade))
		return -1;
	return 0;
}

/* A list of mode names (cuts.modes, cuts.may_brick): bit i = mode_names[i]. */
static int load_mode_list(struct loader *L, yaml_node_t *m, const char *key,
			  const char *const *names, size_t max, uint32_t *out)
{
	*out = 0;
	if (bo_yaml_seq_check(&L->y, m, key, 1, max))
		return -1;
	for (size_t i = 0; i < bo_yaml_seq_len(m); i++) {
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, key, i);
		yaml_node_t *item = bo_yaml_seq_at(&L->y, m, i);
		int e;
		if (bo_yaml_enum(&L->y, item, path, names, &e))
			return -1;
		if (*out >> e & 1u)
			return bo_yaml_error(&L->y, item, path, "mode '%s' given twice", names[e]);
		*out |= 1u << e;
	}
	return 0;
}

static int load_cuts(struct loader *L, yaml_node_t *root)
{
	static const char *const keys[] = {"modes", "depth", "metastable", "may_brick", NULL};
	/* between, torn, then the flash errors in enum fsim_fault_kind order */
	static const char *const mode_names[] = {"between",     "torn",      "program-error",
						 "erase-error", "stuck-bit", "bad-sector", NULL};
	struct bo_sweep_cuts *c = &L->s->cuts;
	c->between = c->torn = true;
	c->depth = 1;
	c->metastable = false;
	c->faults = c->faults_may_brick = 0;
	yaml_node_t *cuts = bo_yaml_map_get(&L->y, root, "cuts");
	if (!cuts)
		return 0;
	if (bo_yaml_map_check(&L->y, cuts, "cuts", keys))
		return -1;
	yaml_node_t *m = bo_yaml_map_get(&L->y, cuts, "modes");
	uint32_t modes;
	if (m) {
		if (load_mode_list(L, m, "cuts.modes", mode_names, 6, &modes))
			return -1;
		c->between = modes & 1u;
		c->torn = modes >> 1 & 1u;
		c->faults = modes >> 2;
	}
	yaml_node_t *mb = bo_yaml_map_get(&L->y, cuts, "may_brick");
	if (mb) {
		if (load_mode_list(L, mb, "cuts.may_brick", mode_names, 6, &modes))
			return -1;
		if (modes & 3u)
			return bo_yaml_error(&L->y, mb, "cuts.may_brick",
					     "a power cut may never brick: may_brick lists flash errors "
					     "(program-error, erase-error, stuck-bit, bad-sector)");
		if ((modes >> 2) & ~c->faults)
			return bo_yaml_error(&L->y, mb, "cuts.may_brick",
					     "lists a flash error that cuts.modes does not run");
		c->faults_may_brick = modes >> 2;
	}
	yaml_node_t *d = bo_yaml_map_get(&L->y, cuts, "depth");
	uint64_t x;
	if (d) {
		if (bo_yaml_uint(&L->y, d, "cuts.depth", 1, BO_SWEEP_MAX_DEPTH, &x))
			return -1;
		c->depth = (unsigned)x;
	}
	yaml_node_t *ms = bo_yaml_map_get(&L->y, cuts, "metastable");
	if (ms && bo_yaml_bool(&L->y, ms, "cuts.metastable", &c->metastable))
		return -1;
	if (c->metastable && !c->torn)
		return bo_yaml_error(&L->y, ms, "cuts.metastable",
				     "metastable cells come from torn cuts: add torn to cuts.modes");
	return 0;
}

static int check_fit(struct loader *L, int img, enum bo_sweep_part p, yaml_node_t *at,
		     const char *path)
{
	const struct bo_sweep_image *im = &L->s->images[img];
	if (L->s->plugin[0])
		return 0; /* the plug-in decides what fits its slots */
	uint32_t room = bo_device_image_room(&L->s->device, p);
	if ((uint64_t)im->size + HEADER_SIZE > room)
		return bo_yaml_error(&L->y, at, path,
				     "image '%s' (%u bytes + %u-byte header) does not fit in %s "
				     "(%u bytes before the trailer%s)",
				     im->name, im->size, HEADER_SIZE, bo_sweep_part_name(p), room,
				     L->s->device.parts[BO_SWEEP_PART_STATUS].present
					     ? ""
					     : " sector; a status partition lets images fill the slot");
	return 0;
}

/* Images must fit where the workload puts them. */
static int check_sizes(struct loader *L, yaml_node_t *root)
{
	struct bo_sweep *s = L->s;
	yaml_node_t *init = bo_yaml_map_get(&L->y, root, "initial");
	static const enum bo_sweep_part parts[] = {BO_SWEEP_PART_PRIMARY, BO_SWEEP_PART_UPGRADE,
						   BO_SWEEP_PART_RECOVERY};
	for (size_t i = 0; i < 3; i++) {
		enum bo_sweep_part p = parts[i];
		if (s->initial[p] < 0)
			continue;
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_key(path, sizeof path, "initial", bo_sweep_part_name(p));
		yaml_node_t *at = bo_yaml_map_get(&L->y, init, bo_sweep_part_name(p));
		if (check_fit(L, s->initial[p], p, at, path))
			return -1;
		/* Slot images move between primary and upgrade. */
		if (p != BO_SWEEP_PART_RECOVERY &&
		    check_fit(L, s->initial[p],
			      p == BO_SWEEP_PART_PRIMARY ? BO_SWEEP_PART_UPGRADE
							 : BO_SWEEP_PART_PRIMARY,
			      at, path))
			return -1;
	}
	yaml_node_t *steps = bo_yaml_map_get(&L->y, root, "steps");
	for (size_t i = 0; i < s->step_count; i++) {
		if (s->steps[i].kind != BO_STEP_DOWNLOAD)
			continue;
		char path[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		bo_yaml_path_index(path, sizeof path, "steps", i);
		bo_yaml_path_key(kp, sizeof kp, path, "download");
		yaml_node_t *at = bo_yaml_map_get(&L->y, bo_yaml_seq_at(&L->y, steps, i),
						  "download");
		if (check_fit(L, s->steps[i].image, BO_SWEEP_PART_UPGRADE, at, kp) ||
		    check_fit(L, s->steps[i].image, BO_SWEEP_PART_PRIMARY, at, kp))
			return -1;
	}
	return 0;
}

static int load_root(struct loader *L)
{
	static const char *const keys[] = {"sweep",  "device",  "strategy", "attempts",
					   "allow_downgrade", "firmware", "images", "initial",
					   "steps", "expect", "cuts", NULL};
	yaml_node_t *root = bo_yaml_root(&L->y);
	if (root && root->type == YAML_MAPPING_NODE && !bo_yaml_map_get(&L->y, root, "sweep") &&
	    bo_yaml_map_get(&L->y, root, "scenario"))
		return bo_yaml_error(&L->y, root, NULL,
				     "this is a scenario file (scenario:), not a sweep file");
	/* A file without sweep: is probably not a sweep file at all: say that first. */
	if (root && root->type == YAML_MAPPING_NODE && !bo_yaml_map_get(&L->y, root, "sweep"))
		return bo_yaml_map_need(&L->y, root, "", "sweep") ? 0 : -1;
	if (bo_yaml_map_check(&L->y, root, "", keys))
		return -1;
	if (load_name(L, root) || !bo_device_load(&L->y, root, NULL, &L->s->device) ||
	    load_firmware(L, root) || load_strategy(L, root) || load_images(L, root) || load_initial(L, root) ||
	    load_steps(L, root) || load_expect(L, root) || load_cuts(L, root) ||
	    check_sizes(L, root))
		return -1;
	return 0;
}

static int finish(struct loader *L, int rc, struct bo_sweep **out)
{
	bo_yaml_free(&L->y);
	if (rc) {
		bo_sweep_free(L->s);
		*out = NULL;
		return BO_SWEEP_E_INVALID;
	}
	*out = L->s;
	return BO_SWEEP_OK;
}

static struct bo_sweep *new_sweep(const char *file)
{
	struct bo_sweep *s = calloc(1, sizeof *s);
	if (s)
		snprintf(s->file, sizeof s->file, "%s", file ? file : "<input>");
	return s;
}

int bo_sweep_load_file(const char *path, struct bo_sweep **out, char *err, size_t errlen)
{
	struct loader L;
	memset(&L, 0, sizeof L);
	*out = NULL;
	L.s = new_sweep(path);
	if (!L.s) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return BO_SWEEP_E_NOMEM;
	}
	int rc = bo_yaml_load_file(&L.y, path, err, errlen);
	if (rc == 0)
		rc = load_root(&L);
	return finish(&L, rc, out);
}

int bo_sweep_load_buffer(const char *name, const void *buf, size_t len, struct bo_sweep **out,
			 char *err, size_t errlen)
{
	struct loader L;
	memset(&L, 0, sizeof L);
	*out = NULL;
	L.s = new_sweep(name);
	if (!L.s) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name ? name : "<input>");
		return BO_SWEEP_E_NOMEM;
	}
	int rc = bo_yaml_load_buffer(&L.y, name, buf, len, err, errlen);
	if (rc == 0)
		rc = load_root(&L);
	return finish(&L, rc, out);
}

void bo_sweep_free(struct bo_sweep *s)
{
	if (!s)
		return;
	free(s->steps);
	free(s);
}
