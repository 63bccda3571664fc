/*
 * sim/yaml_util.h: small helpers over libyaml for the sweep and scenario loaders.
 *
 * A file is loaded into libyaml's document tree (yaml_document_t), whose every node keeps
 * its start mark, so every error can name FILE:LINE:COLUMN (1-based) and the key path of
 * the offending node ("steps[2].download"). Messages look like
 *
 *     sweeps/a.yaml:12:15: key 'steps[2].download': unknown image 'v3'
 *
 * Error handling: the first error is formatted into the caller's buffer (err, errlen) and
 * every later one is ignored, so a loader can stop at the first failing helper and report
 * one clear message. Helpers return 0 on success and -1 after recording an error.
 *
 * Host code: allocates (libyaml does), not for core/.
 */
#ifndef BO_SIM_YAML_UTIL_H
#define BO_SIM_YAML_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* Longest key path kept in messages ("images.v1.version"); longer paths are cut. */
#define BO_YAML_PATH_MAX 192
/* Files larger than this are refused (sweep and scenario files are a few KiB). */
#define BO_YAML_MAX_FILE (16u * 1024u * 1024u)

struct bo_yaml {
	yaml_document_t doc;
	bool loaded;        /* doc holds a document (free with bo_yaml_free) */
	char file[256];     /* the name used in messages */
	char *err;          /* the caller's message buffer */
	size_t errlen;
	bool failed;        /* an error has been recorded */
};

/*
 * Load the first (and only) YAML document of a file or buffer. Errors (unreadable file,
 * syntax error, empty file, several documents) are written as "FILE:LINE:COL: message"
 * (or "FILE: message" without a position). The err buffer stays in use by the other
 * helpers until bo_yaml_free(). Returns 0 or -1; call bo_yaml_free() in both cases.
 */
int bo_yaml_load_file(struct bo_yaml *y, const char *path, char *err, size_t errlen);
int bo_yaml_load_buffer(struct bo_yaml *y, const char *name, const void *buf, size_t len,
			char *err, size_t errlen);
void bo_yaml_free(struct bo_yaml *y);

yaml_node_t *bo_yaml_root(struct bo_yaml *y);

/*
 * Record an error at node (NULL: no position) for key path (NULL or "": none). printf
 * format. Returns -1 so that `return bo_yaml_error(...)` reads naturally.
 */
int bo_yaml_error(struct bo_yaml *y, const yaml_node_t *node, const char *path, const char *fmt,
		  ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

/* 1-based line and column of a node. */
unsigned bo_yaml_line(const yaml_node_t *node);
unsigned bo_yaml_col(const yaml_node_t *node);

/* Key paths: parent.key (or key at the top) and parent[i]. */
void bo_yaml_path_key(char *out, size_t n, const char *parent, const char *key);
void bo_yaml_path_index(char *out, size_t n, const char *parent, size_t i);

/* "mapping", "sequence", "scalar" (with an article for messages: "a mapping", ...). */
const char *bo_yaml_kind(const yaml_node_t *node);

/* A plain scalar "", "~", "null", "Null" or "NULL" (what `key:` with no value gives). */
bool bo_yaml_is_null(const yaml_node_t *node);

/* ---- Mappings ---------------------------------------------------------------------- */

/*
 * Check that node is a mapping whose keys are non-null plain-text scalars, each at most
 * once, and (allowed != NULL, a NULL-terminated list) each one of allowed. An unknown key
 * is reported at the key with the list of valid keys and, for a likely typo, "did you
 * mean ...?".
 */
int bo_yaml_map_check(struct bo_yaml *y, yaml_node_t *node, const char *path,
		      const char *const *allowed);
/* The value of key in a mapping, or NULL when absent. */
yaml_node_t *bo_yaml_map_get(struct bo_yaml *y, yaml_node_t *map, const char *key);
/* Like bo_yaml_map_get, but an absent key is an error ("missing required key"). */
yaml_node_t *bo_yaml_map_need(struct bo_yaml *y, yaml_node_t *map, const char *path,
			      const char *key);
size_t bo_yaml_map_len(const yaml_node_t *map);
/* The i-th pair's key and value nodes (in file order). */
yaml_node_t *bo_yaml_map_key_at(struct bo_yaml *y, yaml_node_t *map, size_t i);
yaml_node_t *bo_yaml_map_value_at(struct bo_yaml *y, yaml_node_t *map, size_t i);

/* ---- Sequences --------------------------------------------------------------------- */

/* Check that node is a sequence with min..max items. */
int bo_yaml_seq_check(struct bo_yaml *y, yaml_node_t *node, const char *path, size_t min,
		      size_t max);
size_t bo_yaml_seq_len(const yaml_node_t *seq);
yaml_node_t *bo_yaml_seq_at(struct bo_yaml *y, yaml_node_t *seq, size_t i);

/* ---- Scalars ----------------------------------------------------------------------- */

/* A non-null scalar without NUL bytes: *out points into the document (valid until free). */
int bo_yaml_str(struct bo_yaml *y, yaml_node_t *node, const char *path, const char **out);
/* true or false (also True/TRUE/False/FALSE). */
int bo_yaml_bool(struct bo_yaml *y, yaml_node_t *node, const char *path, bool *out);
/* A decimal or 0x-hexadecimal integer in [min, max]. */
int bo_yaml_uint(struct bo_yaml *y, yaml_node_t *node, const char *path, uint64_t min,
		 uint64_t max, uint64_t *out);
/*
 * A byte count: decimal (98304), hexadecimal (0x18000), or a number with a binary suffix
 * (96KiB, 96K, 1MiB, 1M, also with a space: "96 KiB"; B = bytes). Must fit in 32 bits.
 */
int bo_yaml_size(struct bo_yaml *y, yaml_node_t *node, const char *path, uint32_t *out);
/* One of names (NULL-terminated): *out is its index. The error lists the choices. */
int bo_yaml_enum(struct bo_yaml *y, yaml_node_t *node, const char *path,
		 const char *const *names, int *out);

/* Parse a size string as bo_yaml_size does (no YAML): 0 or -1. */
int bo_yaml_parse_size(const char *s, uint32_t *out);

#endif
