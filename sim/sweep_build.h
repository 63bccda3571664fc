/*
 * sim/sweep_build.h: turn a loaded sweep file (sim/sweep_file.h) into a runnable workload
 * (sim/sweep_runner.h): the flashsim device with its partitions and initial images, the
 * images built and signed in memory (deterministic: same file, same bytes), the keyring.
 */
#ifndef SIM_SWEEP_BUILD_H
#define SIM_SWEEP_BUILD_H

#include "sim/imagegen.h"
#include "sim/sweep_engine.h"
#include "sim/sweep_file.h"

struct sweep_build {
	struct sweep_workload w;
	struct fsim_device *dev;
	struct bo_signkey *trusted;
	struct bo_signkey *untrusted;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key key;
	struct bo_keyring ring;
	struct bo_crypto_mbedtls crypto_state;
	struct bo_crypto crypto;
};

/* Build; -1 with err set when the file describes something that cannot be built. */
int sweep_build(const struct bo_sweep *s, struct sweep_build *b, char *err, size_t errlen);
void sweep_build_free(struct sweep_build *b);
/* The cut options the file asks for (the command line may override them). */
void sweep_build_options(const struct bo_sweep *s, struct sweep_options *o);

#endif
