/*
 * sim/vnode.h: a virtual mesh node of the scenario runner: its own flash (a flashsim device
 * forked copy-on-write from a caller-given initial image), the bootloader (core/boot), the
 * application its booted image describes (the image's protected behaviour TLV), the DFU
 * models of its role (core/dfu: a Target runs a Firmware Update Server, the Distributor a
 * bo_distributor) and its mesh port (sim/mesh_port.h) on the network model.
 *
 * Flash layout. The initial device carries a partition table with "primary" and
 * "upgrade" (required), "scratch" and "recovery" (as the strategy needs; "boot" is the
 * write-protected bootloader) and "storage": at least 6 sectors (nrf52840 layout:
 * 0xF8000, 8 x 4 KiB) that hold the DFU models' power-safe records:
 *   Target:      storage sectors 0-1  BLOB Transfer Server state
 *                storage sectors 2-3  Firmware Update Server record
 *   Distributor: storage sectors 0-1  the upload's BLOB Transfer Server state
 *                storage sectors 2-3  the distribution record (dfd_srv state)
 *                storage sectors 4-5  image slot 0's record
 *                and image slot 0 is the "upgrade" partition (the Distributor does not
 *                update itself: the bootloader ignores an upgrade slot without a request).
 * The BLOB a Target receives is stored in its "upgrade" partition (the bootloader's
 * upgrade slot).
 *
 * Life cycle. sim_vnode_power_on() schedules a power-on (delay 0). At power-on the node runs
 * bo_boot(); nothing bootable: the node is bricked (stays offline, silent). Otherwise the
 * booted image's behaviour decides:
 *   good       bo_app_confirm, then the DFU models run (restored from flash); after the
 *              restore the application reports an update it rebooted into applied
 *              (bo_dfu_srv_applied: the Target's Update phase APPLYING -> IDLE)
 *   no-confirm the DFU models run, nothing is confirmed and applied is never reported
 *              (the Target stays APPLYING after an update into it). Running unconfirmed
 *              from the primary slot (a test upgrade on trial), its watchdog resets it
 *              SIM_VNODE_WATCHDOG_US after boot: a reboot (off, then on again
 *              SIM_VNODE_REBOOT_DELAY_US later; c.reboots, SIM_VNODE_EV_REBOOT), not a
 *              power cut; its bootloader then reverts it (swap strategies) or counts a
 *              trial boot (recovery strategies: the resets exhaust the attempts and the
 *              recovery image boots). Already confirmed (an initial image, or installed
 *              permanently by the bootloader) it runs like a good image without resets,
 *              and reports an update applied since its image is confirmed.
 *   crash-on-boot   the node resets SIM_VNODE_CRASH_DELAY_US after boot (off, then on)
 *   no-dfu     bo_app_confirm, no DFU model: messages to the node are ignored
 * A recovery image never confirms (the primary's state is the bootloader's business), has
 * no watchdog reset, runs the DFU models and never reports an update applied. The Target's apply requests the upgrade (bo_app_request_upgrade,
 * permanent unless cfg.test_upgrade) and reboots: off, then on SIM_VNODE_REBOOT_DELAY_US
 * later.
 *
 * Power. Every entry into the node's code from the event loop (power-on, message delivery,
 * timer expiry) runs under setjmp. A flash power cut (sim_vnode_arm_flash_cut) longjmps
 * back there; so does the apply's reboot. Power loss: the node goes offline in the network
 * (mesh_node_reset, mesh_node_set_online false), its port timers are forgotten, its RAM
 * (bootloader workspace, DFU model structs) is poisoned with 0xA5, and a power-on is
 * scheduled. Nothing after the cut runs.
 *
 * Host code (allocates). No globals: many nodes, on one loop per thread.
 */
#ifndef SIM_VNODE_H
#define SIM_VNODE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/dfu/distributor.h"
#include "core/dfu/dfu_srv.h"
#include "flashsim/flashsim.h"
#include "sim/event.h"
#include "sim/flash_port.h"
#include "sim/mesh_net.h"
#include "sim/mesh_port.h"

#define SIM_VNODE_CRASH_DELAY_US 100000u  /* crash-on-boot: reset 100 ms after boot */
#define SIM_VNODE_REBOOT_DELAY_US 10000u  /* apply: back on 10 ms after the reboot */
/* an unconfirmed no-confirm image is reset this long after boot: shorter than the
 * Distributor's confirm deadline (BO_DFU_CLI_CONFIRM_TIMEOUT_US, 60 s), so it sees the
 * revert */
#define SIM_VNODE_WATCHDOG_US 30000000u
#define SIM_VNODE_STORAGE_SECTORS 6u       /* "storage" sectors the records need */

/* Timer ids on the node's port. */
#define SIM_VNODE_TGT_BLOB_TIMER 0u  /* + BO_BLOB_SRV_TIMERS */
#define SIM_VNODE_TGT_DFU_TIMER 2u   /* + BO_DFU_SRV_TIMERS */
#define SIM_VNODE_DIST_TIMER 0u      /* + BO_DISTRIBUTOR_TIMERS */

enum sim_vnode_role {
	SIM_VNODE_TARGET = 0,
	SIM_VNODE_DISTRIBUTOR,
};

/* What happened to a node (for the scenario runner's event table). */
enum sim_vnode_event {
	SIM_VNODE_EV_BOOT = 0,     /* booted an image (counters say which, slot, action) */
	SIM_VNODE_EV_BRICKED,      /* a boot found nothing bootable */
	SIM_VNODE_EV_POWER_CUT,    /* power lost (sim_vnode_power_cut or a flash cut) */
	SIM_VNODE_EV_FLASH_CUT,    /* ... inside a flash operation (follows EV_POWER_CUT) */
	SIM_VNODE_EV_REBOOT,       /* the apply's reboot, a crash-on-boot or watchdog reset */
	SIM_VNODE_EV_CONVERGED,    /* first ran cfg.converge_fw confirmed */
};

struct sim_vnode;
/* Called from the node's code paths (never from inside a flash operation); it may schedule
 * events but must not call sim_vnode_power_cut on the node (BOOT and CONVERGED are emitted
 * from inside the node's code). */
typedef void (*sim_vnode_event_fn)(void *ctx, struct sim_vnode *n, enum sim_vnode_event ev);

/* A firmware the caller knows (index = what the counters report). */
struct sim_vnode_fw {
	struct bo_image_version version;
};

struct sim_vnode_config {
	struct sim_loop *loop;
	struct mesh_net *net;
	uint32_t node;                    /* index in net */
	uint64_t seed;                    /* the run's root seed (the port's streams derive) */
	enum sim_vnode_role role;
	const struct fsim_device *initial; /* forked copy-on-write; partitions as above */
	enum bo_strategy strategy;
	uint8_t attempts;                 /* bootloader trial boots; 0: its default */
	const struct bo_crypto *crypto;   /* shared by the nodes of one loop (single thread) */
	const struct bo_keyring *keys;
	bool test_upgrade;                /* the Target requests test (revertible) upgrades */
	uint32_t apply_delay_us;          /* Target: Update Apply answered, then applied this
					     much later; 0: BO_DFU_SRV_APPLY_DELAY_US */
	const struct sim_vnode_fw *fw;    /* firmware list (may be NULL) */
	size_t fw_count;
	int converge_fw;                  /* index in fw of the target version; -1: none */
	/* Distributor's update client: 0 takes core/dfu's defaults (block size log 12). Over
	 * the mesh model a chunk must leave the node before the next one is due (one
	 * segmented send per destination): e.g. 88-byte chunks (8 segments) every 1 s. */
	uint32_t dist_block_size_log;
	uint16_t dist_chunk_size;
	uint32_t dist_chunk_interval_us;
	sim_vnode_event_fn on_event;      /* optional */
	void *event_ctx;
};

enum sim_vnode_state {
	SIM_VNODE_OFF = 0,   /* power-on pending (or never powered); a crash-on-boot
				image's node is OFF between its resets */
	SIM_VNODE_RUNNING,
	SIM_VNODE_BRICKED,   /* nothing bootable: silent until the next power cut */
};

struct sim_vnode_counters {
	uint64_t boots;          /* bo_boot() calls that returned */
	uint64_t power_cuts;     /* sim_vnode_power_cut and flash cuts (reboots not counted) */
	uint64_t flash_cuts;     /* of which inside a flash operation */
	uint64_t reboots;        /* apply reboots, crash and watchdog resets */
	uint64_t reverts;        /* reverts of a test image: a boot that reverted it, or one
				  * that finished a revert a power cut interrupted (once each) */
	uint64_t installs;       /* boots that installed an upgrade */
	uint64_t recovery_boots; /* boots into the recovery image */
	uint64_t bricked_boots;  /* boots that found nothing bootable */
	bool bricked;            /* the last boot found nothing bootable */
	bool reverted;           /* the last boot went back from the image on trial */
	int running_fw;          /* index in cfg.fw of the running image; -1 none / unknown */
	struct bo_image_version running; /* valid when a slot booted */
	enum bo_boot_slot slot;  /* of the last boot */
	int behaviour;           /* enum bo_app_behaviour of the running image; -1 none */
	bool confirmed;          /* the running primary image is confirmed */
	uint64_t converged_us;   /* first time it ran cfg.converge_fw confirmed; UINT64_MAX */
	uint64_t flash_erases, flash_programs;
	uint32_t max_sector_erases;
};

struct sim_vnode {
	struct sim_vnode_config cfg;
	struct fsim_device *dev;
	struct sim_flash_ports flash; /* a port per region: each flash device its own units */
	struct bo_boot_cfg boot_cfg;
	struct bo_flash_area storage;
	uint32_t sector;          /* storage sector size */
	struct sim_mesh_port port;
	enum sim_vnode_state state;
	bool dfu;                 /* DFU models instantiated this boot */
	sim_handle power_ev;      /* pending power-on, SIM_HANDLE_NONE: none */
	sim_handle wdt_ev;        /* pending watchdog reset, SIM_HANDLE_NONE: none */
	/* RAM of the node: poisoned on every power loss */
	struct bo_boot *ws;
	struct bo_boot_result *res;
	struct bo_dfu_srv *srv;           /* Target */
	struct bo_distributor *dist;      /* Distributor */
	/* power-loss machinery (host side) */
	jmp_buf jb;
	bool in_entry;
	uint64_t resume_delay_us; /* after a longjmp: when to power on again */
	bool resume_is_cut;
	uint64_t cut_off_us;      /* armed flash cut: off time */
	bool flash_cut_pending;   /* the power loss being handled came from flash */
	/* what the last boot that returned ran on trial (unconfirmed), as the simulator saw
	 * it: a later boot that resumes an interrupted operation and runs another image
	 * finished a revert of it (host side: survives power loss, as the counters do) */
	bool trial_seen;
	struct bo_image_version trial_version;
	struct sim_vnode_counters c;
};

/* 0, or -1 (bad configuration: layout, storage too small, out of memory). */
int sim_vnode_init(struct sim_vnode *n, const struct sim_vnode_config *cfg);
void sim_vnode_free(struct sim_vnode *n);

/* Schedule the power-on (now), replacing a pending one; nothing when the node is on. */
void sim_vnode_power_on(struct sim_vnode *n);
/* Deliver an access message (call from the network's rx callback for this node). */
void sim_vnode_rx(struct sim_vnode *n, uint16_t src, uint16_t dst, uint8_t ttl,
		  const uint8_t *pdu, size_t len);
/* Power loss now (from the event loop, outside the node's code); on again off_us later.
 * A node already off stays off until off_us from now. */
void sim_vnode_power_cut(struct sim_vnode *n, uint64_t off_us);
/* Lose power at the node's nth next mutating flash operation (nth >= 1: the next one is 1),
 * applied as `mode` (torn variant and bits from seed); on again off_us later. */
void sim_vnode_arm_flash_cut(struct sim_vnode *n, uint64_t nth, enum fsim_cut_mode mode,
			     uint64_t seed, uint64_t off_us);

/* The counters, flash figures refreshed from the device. */
const struct sim_vnode_counters *sim_vnode_counters(struct sim_vnode *n);

static inline bool sim_vnode_running(const struct sim_vnode *n)
{
	return n->state == SIM_VNODE_RUNNING;
}

#endif
