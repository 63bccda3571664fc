/* `brownout boot --plugin`: see device_boot_plugin.h. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "sim/firmware/host.h"
#include "sim/firmware/plugin.h"
#include "tools/device_boot_plugin.h"

struct plugin_run {
	struct fw_host host;
	struct fw_plugin *plugin;
	const struct bro_firmware *fw;
	struct bro_env env;
	jmp_buf failed;
};

static void run_free(struct plugin_run *r)
{
	fw_plugin_close(r->plugin);
	free(r->env.config);
	free(r->env.ram);
	fw_host_free(&r->host);
}

/* One firmware call with fail()/abort() landing in r->failed: 0, or -2 when it failed. */
#define GUARDED(r, call)                                                                           \
	(fw_host_enter(&(r)->host), setjmp((r)->failed) ? (fw_host_leave(), -2)                    \
							: ((call), fw_host_leave(), 0))

int device_boot_plugin(struct fsim_device *dev, const char *path, const struct bro_option *opts,
		       unsigned nopts, bool confirm, FILE *out, char *err, size_t errlen)
{
	struct plugin_run *r = calloc(1, sizeof *r);
	if (!r || fw_host_init(&r->host, dev, err, errlen)) {
		free(r);
		return -1;
	}
	r->host.fail_jmp = &r->failed;
	r->plugin = fw_plugin_open(path, err, errlen);
	int rc = -1;
	if (!r->plugin)
		goto done;
	r->fw = fw_plugin_firmware(r->plugin);
	r->env = (struct bro_env){&r->host.dev, calloc(1, r->fw->config_size + 1),
				  calloc(1, r->fw->ram_size + 1)};
	if (!r->env.config || !r->env.ram) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	char why[256] = "";
	int crc = 0;
	if (r->fw->configure &&
	    (GUARDED(r, crc = r->fw->configure(&r->env, opts, nopts, why, sizeof why)) || crc < 0)) {
		snprintf(err, errlen, "%s: %s", path, *why ? why : r->host.fail_reason);
		goto done;
	}
	struct bro_boot_result res = {0};
	int brc = 0;
	if (GUARDED(r, brc = r->fw->boot(&r->env, &res))) {
		fprintf(out, "firmware failed: %s\n", r->host.fail_reason);
		rc = 1;
		goto done;
	}
	int part = res.booted ? fw_host_part_at(&r->host, res.off) : -1;
	if (brc < 0 || !res.booted)
		fprintf(out, "bricked: nothing bootable%s%s%s\n", res.reason[0] ? " (" : "", res.reason,
			res.reason[0] ? ")" : "");
	else
		fprintf(out, "boot %s at 0x%x%s%s%s\n", part >= 0 ? r->host.parts[part].name : "?",
			res.off, res.reason[0] ? " (" : "", res.reason, res.reason[0] ? ")" : "");
	rc = brc < 0 || !res.booted;
	int crc2 = 0;
	if (rc == 0 && confirm) {
		if (GUARDED(r, crc2 = r->fw->confirm(&r->env)) || crc2 < 0) {
			fprintf(out, "  the application's confirm failed\n");
			rc = 1;
		} else {
			fprintf(out, "  confirmed by the application\n");
		}
	}
done:
	run_free(r);
	free(r);
	return rc;
}
