/* sim/yaml_util.c: libyaml document helpers with file:line:column errors. */
#include "sim/yaml_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_name(struct bo_yaml *y, const char *name)
{
	snprintf(y->file, sizeof y->file, "%s", name ? name : "<input>");
}

static void raw_error(struct bo_yaml *y, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void raw_error(struct bo_yaml *y, const char *fmt, ...)
{
	if (y->failed)
		return;
	y->failed = true;
	if (!y->err || y->errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(y->err, y->errlen, fmt, ap);
	va_end(ap);
}

static int load(struct bo_yaml *y, const unsigned char *buf, size_t len)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		raw_error(y, "%s: out of memory", y->file);
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &y->doc)) {
		const char *problem = parser.problem ? parser.problem : "malformed YAML";
		yaml_mark_t m = parser.problem_mark;
		if (parser.context)
			raw_error(y, "%s:%zu:%zu: YAML syntax error: %s %s", y->file, m.line + 1,
				  m.column + 1, problem, parser.context);
		else
			raw_error(y, "%s:%zu:%zu: YAML syntax error: %s", y->file, m.line + 1,
				  m.column + 1, problem);
		yaml_parser_delete(&parser);
		return -1;
	}
	y->loaded = true;
	if (!yaml_document_get_root_node(&y->doc)) {
		raw_error(y, "%s:1:1: the file holds no YAML document", y->file);
		yaml_parser_delete(&parser);
		return -1;
	}
	/* A second document is an error: the file describes one thing. */
	yaml_document_t next;
	if (!yaml_parser_load(&parser, &next)) {
		yaml_mark_t m = parser.problem_mark;
		raw_error(y, "%s:%zu:%zu: YAML syntax error: %s", y->file, m.line + 1, m.column + 1,
			  parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_node_t *root2 = yaml_document_get_root_node(&next);
	if (root2) {
		raw_error(y, "%s:%zu:%zu: more than one YAML document in the file", y->file,
			  root2->start_mark.line + 1, root2->start_mark.column + 1);
		yaml_document_delete(&next);
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_document_delete(&next);
	yaml_parser_delete(&parser);
	return 0;
}

int bo_yaml_load_buffer(struct bo_yaml *y, const char *name, const void *buf, size_t len,
			char *err, size_t errlen)
{
	memset(y, 0, sizeof *y);
	y->err = err;
	y->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	set_name(y, name);
	return load(y, buf, len);
}

int bo_yaml_load_file(struct bo_yaml *y, const char *path, char *err, size_t errlen)
{
	memset(y, 0, sizeof *y);
	y->err = err;
	y->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	set_name(y, path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		raw_error(y, "%s: cannot open: %s", y->file, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	unsigned char *buf = malloc(cap);
	int rc = -1;
	if (!buf) {
		raw_error(y, "%s: out of memory", y->file);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= BO_YAML_MAX_FILE) {
				raw_error(y, "%s: file larger than %u bytes", y->file,
					  BO_YAML_MAX_FILE);
				goto out;
			}
			unsigned char *nb = realloc(buf, cap * 2);
			if (!nb) {
				raw_error(y, "%s: out of memory", y->file);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				raw_error(y, "%s: read error: %s", y->file, strerror(errno));
				goto out;
			}
			break;
		}
	}
	rc = load(y, buf, len);
out:
	free(buf);
	fclose(f);
	return rc;
}

void bo_yaml_free(struct bo_yaml *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *bo_yaml_root(struct bo_yaml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

unsigned bo_yaml_line(const yaml_node_t *node)
{
	return node ? (unsigned)node->start_mark.line + 1 : 0;
}

unsigned bo_yaml_col(const yaml_node_t *node)
{
	return node ? (unsigned)node->start_mark.column + 1 : 0;
}

int bo_yaml_error(struct bo_yaml *y, const yaml_node_t *node, const char *path, const char *fmt,
		  ...)
{
	if (y->failed)
		return -1;
	y->failed = true;
	if (!y->err || y->errlen == 0)
		return -1;
	int n;
	if (node)
		n = snprintf(y->err, y->errlen, "%s:%u:%u: ", y->file, bo_yaml_line(node),
			     bo_yaml_col(node));
	else
		n = snprintf(y->err, y->errlen, "%s: ", y->file);
	if (n < 0 || (size_t)n >= y->errlen)
		return -1;
	if (path && path[0]) {
		int m = snprintf(y->err + n, y->errlen - (size_t)n, "key '%s': ", path);
		if (m < 0 || (size_t)(n + m) >= y->errlen)
			return -1;
		n += m;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(y->err + n, y->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

void bo_yaml_path_key(char *out, size_t n, const char *parent, const char *key)
{
	if (parent && parent[0])
		snprintf(out, n, "%s.%s", parent, key);
	else
		snprintf(out, n, "%s", key);
}

void bo_yaml_path_index(char *out, size_t n, const char *parent, size_t i)
{
	snprintf(out, n, "%s[%zu]", parent ? parent : "", i);
}

const char *bo_yaml_kind(const yaml_node_t *node)
{
	if (!node)
		return "nothing";
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return bo_yaml_is_null(node) ? "an empty value" : "a scalar";
	default:
		return "nothing";
	}
}

bool bo_yaml_is_null(const yaml_node_t *node)
{
	if (!node || node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)node->data.scalar.value;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* ---- Mappings ---------------------------------------------------------------------- */

size_t bo_yaml_map_len(const yaml_node_t *map)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yaml_node_t *bo_yaml_map_key_at(struct bo_yaml *y, yaml_node_t *map, size_t i)
{
	if (i >= bo_yaml_map_len(map))
		return NULL;
	return yaml_document_get_node(&y->doc, map->data.mapping.pairs.start[i].key);
}

yaml_node_t *bo_yaml_map_value_at(struct bo_yaml *y, yaml_node_t *map, size_t i)
{
	if (i >= bo_yaml_map_len(map))
		return NULL;
	return yaml_document_get_node(&y->doc, map->data.mapping.pairs.start[i].value);
}

static const char *key_text(const yaml_node_t *k)
{
	if (!k || k->type != YAML_SCALAR_NODE || bo_yaml_is_null(k))
		return NULL;
	const char *s = (const char *)k->data.scalar.value;
	if (strlen(s) != k->data.scalar.length)
		return NULL;
	return s;
}

/* Levenshtein distance, capped (keys are short). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t prev[64], cur[64];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;
			cur[j] = m < ins ? m : ins;
		}
		memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
	}
	return prev[lb];
}

static void list_names(char *out, size_t n, const char *const *names)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; names[i]; i++) {
		int m = snprintf(out + used, n - used, "%s%s", i ? ", " : "", names[i]);
		if (m < 0 || (size_t)m >= n - used)
			return;
		used += (size_t)m;
	}
}

int bo_yaml_map_check(struct bo_yaml *y, yaml_node_t *node, const char *path,
		      const char *const *allowed)
{
	if (!node || node->type != YAML_MAPPING_NODE)
		return bo_yaml_error(y, node, path, "expected a mapping (key: value), found %s",
				     bo_yaml_kind(node));
	size_t len = bo_yaml_map_len(node);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *k = bo_yaml_map_key_at(y, node, i);
		const char *ks = key_text(k);
		if (!ks)
			return bo_yaml_error(y, k ? k : node, path,
					     "a key must be plain text, found %s",
					     bo_yaml_kind(k));
		char kp[BO_YAML_PATH_MAX];
		bo_yaml_path_key(kp, sizeof kp, path, ks);
		for (size_t j = 0; j < i; j++) {
			const char *prev = key_text(bo_yaml_map_key_at(y, node, j));
			if (prev && !strcmp(prev, ks)) {
				yaml_node_t *pk = bo_yaml_map_key_at(y, node, j);
				return bo_yaml_error(y, k, kp, "duplicate key (first given at line %u)",
						     bo_yaml_line(pk));
			}
		}
		if (!allowed)
			continue;
		bool ok = false;
		const char *best = NULL;
		size_t best_d = 3;
		for (size_t a = 0; allowed[a]; a++) {
			if (!strcmp(allowed[a], ks)) {
				ok = true;
				break;
			}
			size_t d = edit_distance(allowed[a], ks);
			if (d < best_d) {
				best_d = d;
				best = allowed[a];
			}
		}
		if (ok)
			continue;
		char names[256];
		list_names(names, sizeof names, allowed);
		if (best)
			return bo_yaml_error(y, k, kp, "unknown key (did you mean '%s'? valid: %s)",
					     best, names);
		return bo_yaml_error(y, k, kp, "unknown key (valid: %s)", names);
	}
	return 0;
}

yaml_node_t *bo_yaml_map_get(struct bo_yaml *y, yaml_node_t *map, const char *key)
{
	size_t len = bo_yaml_map_len(map);
	for (size_t i = 0; i < len; i++) {
		const char *ks = key_text(bo_yaml_map_key_at(y, map, i));
		if (ks && !strcmp(ks, key))
			return bo_yaml_map_value_at(y, map, i);
	}
	return NULL;
}

yaml_node_t *bo_yaml_map_need(struct bo_yaml *y, yaml_node_t *map, const char *path,
			      const char *key)
{
	yaml_node_t *v = bo_yaml_map_get(y, map, key);
	if (!v) {
		char kp[BO_YAML_PATH_MAX];
		bo_yaml_path_key(kp, sizeof kp, path, key);
		bo_yaml_error(y, map, kp, "missing required key");
	}
	return v;
}

/* ---- Sequences --------------------------------------------------------------------- */

size_t bo_yaml_seq_len(const yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *bo_yaml_seq_at(struct bo_yaml *y, yaml_node_t *seq, size_t i)
{
	if (i >= bo_yaml_seq_len(seq))
		return NULL;
	return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

int bo_yaml_seq_check(struct bo_yaml *y, yaml_node_t *node, const char *path, size_t min,
		      size_t max)
{
	if (!node || node->type != YAML_SEQUENCE_NODE)
		return bo_yaml_error(y, node, path, "expected a list, found %s", bo_yaml_kind(node));
	size_t n = bo_yaml_seq_len(node);
	if (n < min)
		return bo_yaml_error(y, node, path, "expected at least %zu item%s, found %zu", min,
				     min == 1 ? "" : "s", n);
	if (n > max)
		return bo_yaml_error(y, node, path, "expected at most %zu items, found %zu", max, n);
	return 0;
}

/* ---- Scalars ----------------------------------------------------------------------- */

int bo_yaml_str(struct bo_yaml *y, yaml_node_t *node, const char *path, const char **out)
{
	if (!node || node->type != YAML_SCALAR_NODE || bo_yaml_is_null(node))
		return bo_yaml_error(y, node, path, "expected a value, found %s",
				     bo_yaml_kind(node));
	const char *s = (const char *)node->data.scalar.value;
	if (strlen(s) != node->data.scalar.length)
		return bo_yaml_error(y, node, path, "the value contains a NUL character");
	*out = s;
	return 0;
}

int bo_yaml_bool(struct bo_yaml *y, yaml_node_t *node, const char *path, bool *out)
{
	const char *s;
	if (bo_yaml_str(y, node, path, &s))
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		*out = false;
		return 0;
	}
	return bo_yaml_error(y, node, path, "expected true or false, found '%s'", s);
}

/* Parse an unsigned decimal or 0x-hex integer; end points after the digits. */
static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -1;
		for (; isxdigit((unsigned char)*p) || *p == '_'; p++) {
			if (*p == '_')
				continue;
			unsigned d = isdigit((unsigned char)*p)
					     ? (unsigned)(*p - '0')
					     : (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
			if (v > (UINT64_MAX >> 4))
				return -1;
			v = (v << 4) | d;
		}
	} else {
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p) || *p == '_'; p++) {
			if (*p == '_')
				continue;
			unsigned d = (unsigned)(*p - '0');
			if (v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
	}
	*out = v;
	*end = p;
	return 0;
}

int bo_yaml_uint(struct bo_yaml *y, yaml_node_t *node, const char *path, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	const char *s, *end;
	uint64_t v;
	if (bo_yaml_str(y, node, path, &s))
		return -1;
	if (parse_u64(s, &v, &end) || *end)
		return bo_yaml_error(y, node, path, "expected a whole number, found '%s'", s);
	if (v < min || v > max)
		return bo_yaml_error(y, node, path, "%s is out of range (%llu to %llu)", s,
				     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int bo_yaml_parse_size(const char *s, uint32_t *out)
{
	uint64_t v;
	const char *p;
	if (parse_u64(s, &v, &p))
		return -1;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	while (*p == ' ')
		p++;
	uint64_t mul = 1;
	if (*p) {
		if (hex)
			return -1; /* 0x10K reads as a typo, not a size */
		static const struct {
			const char *suffix;
			uint64_t mul;
		} suffixes[] = {
			{"B", 1},
			{"K", 1024},       {"KiB", 1024},       {"KB", 1024},       {"k", 1024},
			{"M", 1024 * 1024}, {"MiB", 1024 * 1024}, {"MB", 1024 * 1024},
		};
		bool found = false;
		for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
			if (!strcmp(p, suffixes[i].suffix)) {
				mul = suffixes[i].mul;
				found = true;
				break;
			}
		}
		if (!found)
			return -1;
	}
	if (v > UINT32_MAX / mul)
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

int bo_yaml_size(struct bo_yaml *y, yaml_node_t *node, const char *path, uint32_t *out)
{
	const char *s;
	if (bo_yaml_str(y, node, path, &s))
		return -1;
	if (bo_yaml_parse_size(s, out))
		return bo_yaml_error(y, node, path,
				     "expected a size in bytes (98304, 0x18000, 96KiB, 1MiB; at "
				     "most 4 GiB - 1), found '%s'",
				     s);
	return 0;
}

int bo_yaml_enum(struct bo_yaml *y, yaml_node_t *node, const char *path,
		 const char *const *names, int *out)
{
	const char *s;
	if (bo_yaml_str(y, node, path, &s))
		return -1;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	}
	char list[256];
	list_names(list, sizeof list, names);
	return bo_yaml_error(y, node, path, "unknown value '%s' (valid: %s)", s, list);
}
