/* A plug-in that forgets a required function (confirm): brownout must refuse it (exit 2). */
#include <stddef.h>

#include "brownout/firmware.h"

static int no_boot(const struct bro_env *env, struct bro_boot_result *out)
{
	(void)env;
	out->booted = 0;
	return 0;
}

static int no_request(const struct bro_env *env, int permanent)
{
	(void)env;
	(void)permanent;
	return 0;
}

static int no_state(const struct bro_env *env, struct bro_app_state *out)
{
	(void)env;
	out->confirmed = 0;
	return 0;
}

static const struct bro_firmware incomplete = {
	.abi = BRO_FIRMWARE_ABI,
	.name = "incomplete",
	.boot = no_boot,
	.request_upgrade = no_request,
	.confirm = NULL,
	.state = no_state,
};

const struct bro_firmware *brownout_firmware(void);
const struct bro_firmware *brownout_firmware(void)
{
	return &incomplete;
}
