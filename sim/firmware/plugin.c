/* Shared-object firmware with per-instance globals, reset at power-on: see plugin.h. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/firmware/plugin.h"

#define MAX_RANGES 8

struct range {
	uint8_t *addr;
	size_t len;
	uint8_t *saved;
};

struct fw_plugin {
	void *handle;
	const struct bro_firmware *fw;
	struct range ranges[MAX_RANGES];
	int nranges;
};

int fw_check_table(const struct bro_firmware *fw, const char *who, char *err, size_t errlen)
{
	if (fw->abi != BRO_FIRMWARE_ABI) {
		snprintf(err, errlen, "%s: firmware ABI %u, this brownout speaks %u (rebuild the "
			 "plug-in against this brownout's headers)", who, fw->abi, BRO_FIRMWARE_ABI);
		return -1;
	}
	const char *missing = !fw->boot              ? "boot"
			      : !fw->request_upgrade ? "request_upgrade"
			      : !fw->confirm         ? "confirm"
			      : !fw->state           ? "state"
						     : NULL;
	if (missing) {
		snprintf(err, errlen, "%s: does not provide '%s' (a required function)", who,
			 missing);
		return -1;
	}
	return 0;
}

/* Copy src to a fresh temporary file, so that dlopen loads a private instance. */
static int private_copy(const char *src, char *out, size_t outlen, char *err, size_t errlen)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "cannot load %s: %s", src, strerror(errno));
		return -1;
	}
	const char *dir = getenv("TMPDIR");
	snprintf(out, outlen, "%s/brownout-fw-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(out);
	if (fd < 0) {
		snprintf(err, errlen, "cannot load %s: temporary copy: %s", src, strerror(errno));
		close(in);
		return -1;
	}
	char buf[65536];
	ssize_t n;
	int rc = 0;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0)
		rc = -1;
	close(in);
	if (close(fd) || rc) {
		snprintf(err, errlen, "cannot load %s: temporary copy failed", src);
		unlink(out);
		return -1;
	}
	return 0;
}

struct find_ctx {
	uintptr_t base;
	struct fw_plugin *p;
	int found;
};

/* The writable PT_LOAD segments of the object loaded at base, minus PT_GNU_RELRO (made
 * read-only after relocation). */
static int collect_ranges(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct find_ctx *fc = arg;
	if (info->dlpi_addr != fc->base)
		return 0;
	uintptr_t relro_lo = 0, relro_hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			relro_lo = fc->base + info->dlpi_phdr[i].p_vaddr;
			relro_hi = relro_lo + info->dlpi_phdr[i].p_memsz;
		}
	long page = sysconf(_SC_PAGESIZE);
	relro_hi = (relro_hi + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || ph->p_memsz == 0)
			continue;
		uintptr_t lo = fc->base + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (relro_hi > relro_lo && lo < relro_hi && hi > relro_lo) {
			if (lo >= relro_lo)
				lo = relro_hi < hi ? relro_hi : hi;
			else
				hi = relro_lo; /* RELRO in the middle or at the end: keep the head */
		}
		if (hi <= lo || fc->p->nranges >= MAX_RANGES)
			continue;
		fc->p->ranges[fc->p->nranges++] = (struct range){(uint8_t *)lo, hi - lo, NULL};
	}
	fc->found = 1;
	return 1;
}

struct fw_plugin *fw_plugin_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "cannot load %s: %s", path, strerror(errno));
		return NULL;
	}
	char copy[4096];
	if (private_copy(path, copy, sizeof copy, err, errlen))
		return NULL;
	void *h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
	unlink(copy); /* the mapping stays; nothing is left on disk */
	if (!h) {
		const char *why = dlerror();
		/* dlerror names the temporary copy: name the user's file instead */
		const char *colon = why ? strstr(why, ": ") : NULL;
		snprintf(err, errlen, "cannot load %s: %s", path, colon ? colon + 2 : "not a shared object");
		return NULL;
	}
	struct fw_plugin *p = calloc(1, sizeof *p);
	if (!p) {
		dlclose(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->handle = h;
	bro_firmware_entry entry;
	void *sym = dlsym(h, BRO_FIRMWARE_ENTRY);
	memcpy(&entry, &sym, sizeof entry); /* object to function pointer, as POSIX allows */
	if (!sym) {
		snprintf(err, errlen, "%s: no %s() (a plug-in exports `const struct bro_firmware "
			 "*brownout_firmware(void)`)", path, BRO_FIRMWARE_ENTRY);
		fw_plugin_close(p);
		return NULL;
	}
	p->fw = entry();
	if (!p->fw) {
		snprintf(err, errlen, "%s: %s() returned NULL", path, BRO_FIRMWARE_ENTRY);
		fw_plugin_close(p);
		return NULL;
	}
	if (fw_check_table(p->fw, path, err, errlen)) {
		fw_plugin_close(p);
		return NULL;
	}
	struct link_map *lm = NULL;
	struct find_ctx fc = {0, p, 0};
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm) {
		fc.base = lm->l_addr;
		dl_iterate_phdr(collect_ranges, &fc);
	}
	if (!fc.found) {
		snprintf(err, errlen, "%s: cannot find its loaded segments", path);
		fw_plugin_close(p);
		return NULL;
	}
	fw_plugin_mark(p);
	return p;
}

const struct bro_firmware *fw_plugin_firmware(const struct fw_plugin *p)
{
	return p->fw;
}

/* Copy without the address sanitizer's checks: the ranges hold the plug-in's globals and,
 * in an instrumented plug-in, the poisoned red zones between them, which are part of its
 * RAM image too. volatile keeps the compiler from turning the loop into memcpy (which the
 * sanitizer intercepts). */
#if defined(__clang__) || defined(__GNUC__)
__attribute__((no_sanitize_address))
#endif
static void raw_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	volatile uint8_t *d = dst;
	const volatile uint8_t *s = src;
	for (size_t i = 0; i < len; i++)
		d[i] = s[i];
}

void fw_plugin_mark(struct fw_plugin *p)
{
	for (int i = 0; i < p->nranges; i++) {
		struct range *r = &p->ranges[i];
		if (!r->saved) {
			r->saved = malloc(r->len);
			if (!r->saved)
				abort();
		}
		raw_copy(r->saved, r->addr, r->len);
	}
}

void fw_plugin_reset(struct fw_plugin *p)
{
	for (int i = 0; i < p->nranges; i++)
		raw_copy(p->ranges[i].addr, p->ranges[i].saved, p->ranges[i].len);
}

void fw_plugin_close(struct fw_plugin *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nranges; i++)
		free(p->ranges[i].saved);
	if (p->handle)
		dlclose(p->handle);
	free(p);
}
