/*
 * Test helper shared by the YAML loaders' tests (sweep files, scenario files): a corpus
 * of invalid files, each carrying its exact expected error on its first line as
 * "# error: LINE:COL: message", and a directory of files that must load.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_YAML_CORPUS_H
#define TESTS_YAML_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Load the file at path and free what was loaded: 0 when it loads, else the loader's
 * negative code, with the message in err. */
typedef int (*yaml_corpus_load_fn)(const char *path, char *err, size_t errlen);

#define YAML_CORPUS_MAX 256

static char yaml_corpus_names[YAML_CORPUS_MAX][256];

static int yaml_corpus_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorted .yaml names of a directory; returns the count. */
static size_t yaml_corpus_list(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < YAML_CORPUS_MAX) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".yaml"))
			snprintf(yaml_corpus_names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	qsort(yaml_corpus_names, n, 256, yaml_corpus_cmp);
	return n;
}

/* Every file of dir must be refused with invalid_code and exactly its expected message. */
static void yaml_corpus_check_invalid(const char *dir, yaml_corpus_load_fn load, int invalid_code,
				      size_t min_files)
{
	size_t n = yaml_corpus_list(dir);
	assert_true(n >= min_files);
	int failures = 0;
	for (size_t i = 0; i < n; i++) {
		char path[512], line[512] = "";
		snprintf(path, sizeof path, "%s/%s", dir, yaml_corpus_names[i]);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		if (!fgets(line, sizeof line, f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\n")] = '\0';
		const char *tag = "# error: ";
		if (strncmp(line, tag, strlen(tag))) {
			print_error("%s: first line must be '# error: LINE:COL: message'\n", path);
			failures++;
			continue;
		}
		char want[1024], err[1024];
		snprintf(want, sizeof want, "%s:%s", path, line + strlen(tag));
		int rc = load(path, err, sizeof err);
		if (rc != invalid_code) {
			print_error("%s: %s (rc %d)\n", path, rc ? "wrong error code" : "accepted", rc);
			failures++;
			continue;
		}
		if (strcmp(err, want)) {
			print_error("%s:\n  want: %s\n  got:  %s\n", yaml_corpus_names[i], want, err);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Every file of dir must load. */
static void yaml_corpus_check_valid(const char *dir, yaml_corpus_load_fn load, size_t min_files)
{
	size_t n = yaml_corpus_list(dir);
	assert_true(n >= min_files);
	for (size_t i = 0; i < n; i++) {
		char path[512], err[1024];
		snprintf(path, sizeof path, "%s/%s", dir, yaml_corpus_names[i]);
		if (load(path, err, sizeof err))
			fail_msg("%s", err);
	}
}

#endif
