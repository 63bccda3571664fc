/*
 * core/dfu/initiator.c: the Initiator, driving a Distributor (see initiator.h).
 */
#include "core/dfu/initiator.h"

#include <string.h>

static uint32_t step_timer(const struct bo_initiator *in)
{
	return in->cfg.timer_base + BO_INITIATOR_TIMER_STEP;
}

static void arm(struct bo_initiator *in, uint64_t delay)
{
	const struct bo_mesh_port *m = in->cfg.mesh;

	m->timer_arm(m->ctx, step_timer(in), delay);
}

/* Receivers Add carries 3 bytes a target and must fit one access message (380 bytes): a
 * longer list goes in batches of this many (120, or fewer when no more targets fit: the
 * batch is on the stack), each acknowledged before the next. */
#define ADD_BATCH (BO_INITIATOR_TARGETS_MAX < 120u ? BO_INITIATOR_TARGETS_MAX : 120u)
/* The longest request: Upload Start (label UUID and metadata) or a Receivers Add batch. */
#define TX_BUF_LEN (BO_DFD_LABEL_UUID_LEN + 64u > 3u * ADD_BATCH + 8u \
			    ? BO_DFD_LABEL_UUID_LEN + 64u                 \
			    : 3u * ADD_BATCH + 8u)
_Static_assert(3u * ADD_BATCH + 2u <= 380u, "a Receivers Add batch must fit one access message");

static void tx(struct bo_initiator *in, uint32_t opcode, const uint8_t *buf, int len)
{
	const struct bo_mesh_port *m = in->cfg.mesh;
	struct bo_mesh_tx t = {
		.dst = in->cfg.distributor, .app_idx = in->cfg.app_idx, .ttl = in->cfg.ttl};

	if (len < 0)
		return;
	(void)m->send(m->ctx, &t, opcode, buf, (size_t)len);
}

/* ---- refused images ------------------------------------------------------------------- */

static struct bo_initiator_node *node(struct bo_initiator *in, uint16_t addr, bool add)
{
	for (uint16_t i = 0; i < in->nnodes; i++)
		if (in->nodes[i].addr == addr)
			return &in->nodes[i];
	if (!add || in->nnodes >= BO_INITIATOR_NODES_MAX)
		return NULL;
	memset(&in->nodes[in->nnodes], 0, sizeof(in->nodes[0]));
	in->nodes[in->nnodes].addr = addr;
	return &in->nodes[in->nnodes++];
}

bool bo_initiator_refused(const struct bo_initiator *in, uint16_t addr, const uint8_t *fwid,
			  size_t fwid_len)
{
	for (uint16_t i = 0; i < in->nnodes; i++) {
		const struct bo_initiator_node *nd = &in->nodes[i];

		if (nd->addr != addr)
			continue;
		for (uint8_t k = 0; k < nd->nrefused && k < BO_INITIATOR_REFUSED_MAX; k++)
			if (nd->refused_len[k] == fwid_len &&
			    (fwid_len == 0 || memcmp(nd->refused[k], fwid, fwid_len) == 0))
				return true;
	}
	return false;
}

static void refuse(struct bo_initiator *in, uint16_t addr)
{
	struct bo_initiator_node *nd;

	if (bo_initiator_refused(in, addr, in->img.fwid, in->img.fwid_len))
		return;
	nd = node(in, addr, true);
	if (!nd)
		return;
	if (nd->nrefused >= BO_INITIATOR_REFUSED_MAX) { /* forget the oldest */
		memmove(&nd->refused[0], &nd->refused[1],
			(BO_INITIATOR_REFUSED_MAX - 1u) * sizeof(nd->refused[0]));
		memmove(&nd->refused_len[0], &nd->refused_len[1], BO_INITIATOR_REFUSED_MAX - 1u);
		nd->nrefused = BO_INITIATOR_REFUSED_MAX - 1u;
	}
	nd->refused_len[nd->nrefused] = (uint8_t)in->img.fwid_len;
	if (in->img.fwid_len)
		memcpy(nd->refused[nd->nrefused], in->img.fwid, in->img.fwid_len);
	nd->nrefused++;
}

/* ---- run ------------------------------------------------------------------------------ */

static void finish(struct bo_initiator *in, enum bo_initiator_result pending_as)
{
	bool ok = true;
	uint8_t want = in->dist.policy == BO_DFD_POLICY_VERIFY_ONLY ? BO_INITIATOR_VERIFIED
								     : BO_INITIATOR_UPDATED;

	in->cfg.mesh->timer_cancel(in->cfg.mesh->ctx, step_timer(in));
	for (uint16_t i = 0; i < in->ntargets; i++) {
		struct bo_initiator_target *t = &in->targets[i];

		if (t->result == BO_INITIATOR_PENDING)
			t->result = (uint8_t)pending_as;
		if (t->result != want)
			ok = false;
	}
	in->end_state = in->state;
	in->end_tries = in->tries;
	in->state = BO_INITIATOR_DONE;
	in->success = ok;
	if (in->cfg.cb.done)
		in->cfg.cb.done(in->cfg.cb.ctx, in, ok);
}

/* Send the request of the current state (again). */
static void request(struct bo_initiator *in)
{
	uint8_t buf[TX_BUF_LEN];

	switch (in->state) {
	case BO_INITIATOR_UPLOAD_START: {
		struct bo_dfd_upload_start m = {
			.ttl = in->cfg.ttl, .timeout_base = in->img.timeout_base,
			.blob_id = in->img.blob_id, .size = in->img.size,
			.metadata = in->img.metadata, .metadata_len = in->img.metadata_len,
			.fwid = in->img.fwid, .fwid_len = in->img.fwid_len,
		};
		tx(in, BO_OP_DFD_UPLOAD_START, buf, bo_dfd_upload_start_encode(&m, buf, sizeof(buf)));
		break;
	}
	case BO_INITIATOR_UPLOAD_GET:
		tx(in, BO_OP_DFD_UPLOAD_GET, NULL, 0);
		break;
	case BO_INITIATOR_UPLOAD_CANCEL:
		tx(in, BO_OP_DFD_UPLOAD_CANCEL, NULL, 0);
		break;
	case BO_INITIATOR_FW_GET: {
		struct bo_dfd_fwid_msg m = {in->img.fwid, in->img.fwid_len};

		tx(in, BO_OP_DFD_FW_GET, buf, bo_dfd_fwid_msg_encode(&m, buf, sizeof(buf)));
		break;
	}
	case BO_INITIATOR_RESET:
	case BO_INITIATOR_POLL:
		tx(in, BO_OP_DFD_GET, NULL, 0);
		break;
	case BO_INITIATOR_SUSPEND:
		tx(in, BO_OP_DFD_SUSPEND, NULL, 0);
		break;
	case BO_INITIATOR_APPLY:
		tx(in, BO_OP_DFD_APPLY, NULL, 0);
		break;
	case BO_INITIATOR_RESET_CANCEL:
	case BO_INITIATOR_CANCEL:
		tx(in, BO_OP_DFD_CANCEL, NULL, 0);
		break;
	case BO_INITIATOR_RECV_DELETE:
		tx(in, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0);
		break;
	case BO_INITIATOR_RECV_ADD: {
		struct bo_dfd_receiver list[ADD_BATCH];
		struct bo_dfd_receivers_add m = {.list = list};
		uint16_t skip = in->add_next;

		for (uint16_t i = 0; i < in->ntargets && m.count < ADD_BATCH; i++) {
			if (!in->targets[i].in_round)
				continue;
			if (skip) { /* added by an earlier batch */
				skip--;
				continue;
			}
			list[m.count].addr = in->targets[i].addr;
			list[m.count].img_idx = in->targets[i].img_idx;
			m.count++;
		}
		in->add_count = (uint16_t)m.count;
		tx(in, BO_OP_DFD_RECEIVERS_ADD, buf, bo_dfd_receivers_add_encode(&m, buf, sizeof(buf)));
		break;
	}
	case BO_INITIATOR_DIST_START: {
		struct bo_dfd_dist_start m = {
			.app_idx = in->dist.app_idx, .ttl = in->dist.ttl,
			.timeout_base = in->dist.timeout_base, .mode = in->dist.mode,
			.policy = in->dist.policy, .slot_idx = in->slot_idx, .group = in->dist.group,
		};
		tx(in, BO_OP_DFD_START, buf, bo_dfd_dist_start_encode(&m, buf, sizeof(buf)));
		break;
	}
	case BO_INITIATOR_RECV_GET: {
		struct bo_dfd_receivers_get m = {in->list_next, BO_INITIATOR_TARGETS_MAX};

		tx(in, BO_OP_DFD_RECEIVERS_GET, buf, bo_dfd_receivers_get_encode(&m, buf, sizeof(buf)));
		break;
	}
	default:
		return;
	}
	in->waiting = true;
	arm(in, in->cfg.step_timeout_us);
}

static void go(struct bo_initiator *in, enum bo_initiator_state s)
{
	in->state = (uint8_t)s;
	in->tries = 0;
	request(in);
}

static void upload_blob_done(void *ctx, struct bo_blob_cli *cli, bool success);

static void upload_again(struct bo_initiator *in)
{
	if (in->upload_tries++ >= in->cfg.retries) {
		finish(in, BO_INITIATOR_LOST);
		return;
	}
	go(in, BO_INITIATOR_UPLOAD_CANCEL);
}

static void start_upload_blob(struct bo_initiator *in)
{
	struct bo_blob_cli_xfer x = in->cfg.upload;
	uint16_t dst = in->cfg.distributor;

	x.id = in->img.blob_id;
	x.size = in->img.size;
	x.group = BO_MESH_ADDR_UNASSIGNED;
	x.app_idx = in->cfg.app_idx;
	x.ttl = in->cfg.ttl;
	x.timeout_base = in->img.timeout_base;
	in->cfg.mesh->timer_cancel(in->cfg.mesh->ctx, step_timer(in));
	in->state = BO_INITIATOR_UPLOAD_BLOB;
	in->waiting = false;
	if (bo_blob_cli_send(&in->blob, &x, &dst, 1) != 0)
		upload_again(in);
}

static void upload_blob_done(void *ctx, struct bo_blob_cli *cli, bool success)
{
	struct bo_initiator *in = ctx;

	(void)cli;
	if (in->state != BO_INITIATOR_UPLOAD_BLOB)
		return;
	if (success)
		go(in, BO_INITIATOR_UPLOAD_GET);
	else
		upload_again(in);
}

static void upload_blob_suspended(void *ctx, struct bo_blob_cli *cli)
{
	struct bo_initiator *in = ctx;

	(void)cli;
	if (in->state != BO_INITIATOR_UPLOAD_BLOB)
		return;
	(void)bo_blob_cli_cancel(&in->blob); /* done(false): Upload Start again */
}

/* A new round of the distribution for the targets still to do. */
static void round_begin(struct bo_initiator *in)
{
	size_t n = 0;

	for (uint16_t i = 0; i < in->ntargets; i++) {
		struct bo_initiator_target *t = &in->targets[i];

		t->in_round = t->result == BO_INITIATOR_PENDING;
		if (t->in_round) {
			t->tries++;
			n++;
		}
	}
	if (n == 0) {
		finish(in, BO_INITIATOR_LOST);
		return;
	}
	in->round++;
	go(in, BO_INITIATOR_RESET);
}

static bool any_pending(const struct bo_initiator *in)
{
	for (uint16_t i = 0; i < in->ntargets; i++)
		if (in->targets[i].result == BO_INITIATOR_PENDING)
			return true;
	return false;
}

/* The whole Receivers List is in: the round's results, then retry or finish. */
static void round_end(struct bo_initiator *in)
{
	bool retry = false;

	for (uint16_t i = 0; i < in->ntargets; i++) {
		struct bo_initiator_target *t = &in->targets[i];

		if (!t->in_round || t->result != BO_INITIATOR_PENDING)
			continue;
		if (t->tries > in->cfg.retries)
			t->result = BO_INITIATOR_LOST;
		else
			retry = true;
	}
	if (in->cfg.cb.round_done)
		in->cfg.cb.round_done(in->cfg.cb.ctx, in);
	if (!retry || !any_pending(in)) {
		finish(in, BO_INITIATOR_LOST);
		return;
	}
	in->state = BO_INITIATOR_BACKOFF;
	in->waiting = false;
	arm(in, in->cfg.retry_backoff_us << (in->round > 8 ? 8 : in->round - 1));
}

static void classify(struct bo_initiator *in, const struct bo_dfd_target_entry *e)
{
	struct bo_initiator_target *t = NULL;
	enum bo_initiator_result r = BO_INITIATOR_PENDING;
	bool refused = false;

	for (uint16_t i = 0; i < in->ntargets; i++)
		if (in->targets[i].addr == e->addr && in->targets[i].in_round)
			t = &in->targets[i];
	if (!t || t->result != BO_INITIATOR_PENDING)
		return;
	t->last = *e;
	switch (e->phase) {
	case BO_DFU_PHASE_APPLY_SUCCESS:
		r = BO_INITIATOR_UPDATED;
		break;
	case BO_DFU_PHASE_VERIFY_OK:
		if (in->dist.policy == BO_DFD_POLICY_VERIFY_ONLY)
			r = BO_INITIATOR_VERIFIED;
		break;
	case BO_DFU_PHASE_VERIFY_FAIL:
		r = BO_INITIATOR_VERIFY_FAILED;
		refused = true;
		break;
	case BO_DFU_PHASE_APPLY_FAIL:
		r = BO_INITIATOR_REVERTED;
		refused = true;
		break;
	case BO_DFU_PHASE_APPLYING:
		if (e->update_status != BO_DFU_SUCCESS) {
			r = BO_INITIATOR_UNBOOTABLE;
			refused = true;
		}
		break;
	case BO_DFU_PHASE_IDLE:
		if (e->update_status == BO_DFU_ERR_METADATA) {
			r = BO_INITIATOR_REJECTED;
			refused = true;
		} else if (e->update_status == BO_DFU_ERR_FW_IDX) {
			r = BO_INITIATOR_REJECTED;
		} else if ((e->update_status == BO_DFU_ERR_WRONG_PHASE ||
			    e->update_status == BO_DFU_ERR_BLOB_XFER_BUSY) &&
			   !t->stale && t->tries > 0) {
			t->stale = 1;
			t->tries--;
		}
		break;
	default:
		break;
	}
	t->result = (uint8_t)r;
	if (refused)
		refuse(in, t->addr);
}

/* ---- messages in ---------------------------------------------------------------------- */

static void on_upload_status(struct bo_initiator *in, const uint8_t *p, size_t len)
{
	struct bo_dfd_upload_status m;

	if (bo_dfd_upload_status_decode(p, len, &m) != BO_DFU_OK)
		return;
	if (in->state == BO_INITIATOR_UPLOAD_CANCEL) {
		if (m.status == BO_DFD_SUCCESS)
			go(in, BO_INITIATOR_UPLOAD_START);
		else
			finish(in, BO_INITIATOR_LOST);
	} else if (in->state == BO_INITIATOR_UPLOAD_START) {
		if (m.status != BO_DFD_SUCCESS) {
			finish(in, BO_INITIATOR_LOST);
		} else if (m.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS) {
			go(in, BO_INITIATOR_FW_GET);
		} else if (m.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE) {
			start_upload_blob(in);
		} else {
			upload_again(in);
		}
	} else if (in->state == BO_INITIATOR_UPLOAD_GET) {
		if (m.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS)
			go(in, BO_INITIATOR_FW_GET);
		else if (m.phase != BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE)
			upload_again(in);
		/* ACTIVE: asked again at the step timeout */
	}
}

static void on_fw_status(struct bo_initiator *in, const uint8_t *p, size_t len)
{
	struct bo_dfd_fw_status m;

	if (in->state != BO_INITIATOR_FW_GET || bo_dfd_fw_status_decode(p, len, &m) != BO_DFU_OK)
		return;
	if (m.status != BO_DFD_SUCCESS || m.index == 0xffffu) {
		upload_again(in);
		return;
	}
	in->slot_idx = m.index;
	round_begin(in);
}

static uint16_t in_round_count(const struct bo_initiator *in)
{
	uint16_t n = 0;

	for (uint16_t i = 0; i < in->ntargets; i++)
		n = (uint16_t)(n + (in->targets[i].in_round != 0));
	return n;
}

static void on_receivers_status(struct bo_initiator *in, const uint8_t *p, size_t len)
{
	struct bo_dfd_receivers_status m;

	if (bo_dfd_receivers_status_decode(p, len, &m) != BO_DFU_OK)
		return;
	if (in->state == BO_INITIATOR_RECV_DELETE) {
		if (m.status == BO_DFD_SUCCESS) {
			in->add_next = 0;
			go(in, BO_INITIATOR_RECV_ADD);
		} else {
			finish(in, BO_INITIATOR_LOST);
		}
	} else if (in->state == BO_INITIATOR_RECV_ADD) {
		if (m.status != BO_DFD_SUCCESS) {
			finish(in, BO_INITIATOR_LOST);
			return;
		}
		/* a late status of the previous batch lists fewer: the step timer sends again */
		if (m.list_count < in->add_next + in->add_count)
			return;
		in->add_next = (uint16_t)(in->add_next + in->add_count);
		go(in, in->add_next < in_round_count(in) ? BO_INITIATOR_RECV_ADD
							  : BO_INITIATOR_DIST_START);
	}
}

static void poll_wait(struct bo_initiator *in)
{
	in->waiting = false;
	arm(in, in->poll_delay);
	in->poll_delay *= 2u;
	if (in->poll_delay > in->cfg.poll_max_us)
		in->poll_delay = in->cfg.poll_max_us;
}

static void on_dist_status(struct bo_initiator *in, const uint8_t *p, size_t len)
{
	struct bo_dfd_dist_status m;

	if (bo_dfd_dist_status_decode(p, len, &m) != BO_DFU_OK)
		return;
	in->dist_phase = m.phase;
	switch (in->state) {
	case BO_INITIATOR_RESET:
		if (m.phase == BO_DFD_PHASE_IDLE)
			go(in, BO_INITIATOR_RECV_DELETE);
		else if (m.phase == BO_DFD_PHASE_COMPLETED || m.phase == BO_DFD_PHASE_FAILED)
			go(in, BO_INITIATOR_RESET_CANCEL);
		else
			finish(in, BO_INITIATOR_LOST); /* someone else's distribution */
		break;
	case BO_INITIATOR_RESET_CANCEL:
		if (m.phase == BO_DFD_PHASE_IDLE)
			go(in, BO_INITIATOR_RECV_DELETE);
		break;
	case BO_INITIATOR_APPLY:
	case BO_INITIATOR_DIST_START:
		if (m.status != BO_DFD_SUCCESS) {
			finish(in, BO_INITIATOR_LOST);
			break;
		}
		in->state = BO_INITIATOR_POLL;
		in->tries = 0;
		in->poll_delay = in->cfg.poll_us;
		poll_wait(in);
		break;
	case BO_INITIATOR_POLL:
		if (!in->waiting)
			break;
		if (m.phase == BO_DFD_PHASE_COMPLETED || m.phase == BO_DFD_PHASE_FAILED ||
		    m.phase == BO_DFD_PHASE_IDLE ||
		    (m.phase == BO_DFD_PHASE_TRANSFER_SUCCESS &&
		     in->dist.policy == BO_DFD_POLICY_VERIFY_ONLY)) {
			in->list_next = 0;
			go(in, BO_INITIATOR_RECV_GET);
		} else {
			in->tries = 0;
			poll_wait(in);
		}
		break;
	case BO_INITIATOR_CANCEL:
		if (m.phase == BO_DFD_PHASE_IDLE)
			finish(in, BO_INITIATOR_CANCELLED);
		break;
	case BO_INITIATOR_SUSPEND:
		if (m.status == BO_DFD_SUCCESS && m.phase == BO_DFD_PHASE_TRANSFER_SUSPENDED) {
			in->state = BO_INITIATOR_SUSPENDED;
			in->waiting = false;
			in->cfg.mesh->timer_cancel(in->cfg.mesh->ctx, step_timer(in));
		} else {
			in->state = BO_INITIATOR_POLL;
			in->tries = 0;
			poll_wait(in);
		}
		break;
	default:
		break;
	}
}

static void on_receivers_list(struct bo_initiator *in, const uint8_t *p, size_t len)
{
	struct bo_dfd_receivers_list m;
	struct bo_dfd_target_entry e;

	if (in->state != BO_INITIATOR_RECV_GET ||
	    bo_dfd_receivers_list_decode(p, len, &m) != BO_DFU_OK || m.first != in->list_next)
		return;
	for (size_t i = 0; i < m.count; i++)
		if (bo_dfd_receivers_list_at(&m, i, &e) == BO_DFU_OK)
			classify(in, &e);
	in->list_next = (uint16_t)(m.first + m.count);
	if (m.count > 0 && in->list_next < m.total) {
		go(in, BO_INITIATOR_RECV_GET);
		return;
	}
	in->cfg.mesh->timer_cancel(in->cfg.mesh->ctx, step_timer(in));
	round_end(in);
}

/* ---- entry points --------------------------------------------------------------------- */

void bo_initiator_init(struct bo_initiator *in, const struct bo_initiator_config *cfg)
{
	struct bo_blob_cli_config bc;

	memset(in, 0, sizeof(*in));
	in->cfg = *cfg;
	if (!in->cfg.ttl)
		in->cfg.ttl = BO_MESH_TTL_DEFAULT;
	if (!in->cfg.step_timeout_us)
		in->cfg.step_timeout_us = BO_INITIATOR_STEP_TIMEOUT_US;
	if (!in->cfg.step_retries)
		in->cfg.step_retries = BO_INITIATOR_STEP_RETRIES;
	if (!in->cfg.poll_retries)
		in->cfg.poll_retries = BO_INITIATOR_POLL_RETRIES;
	if (!in->cfg.poll_us)
		in->cfg.poll_us = BO_INITIATOR_POLL_US;
	if (!in->cfg.poll_max_us)
		in->cfg.poll_max_us = BO_INITIATOR_POLL_MAX_US;
	if (!in->cfg.retry_backoff_us)
		in->cfg.retry_backoff_us = BO_INITIATOR_RETRY_BACKOFF_US;
	memset(&bc, 0, sizeof(bc));
	bc.mesh = cfg->mesh;
	bc.timer_base = cfg->timer_base + BO_INITIATOR_TIMER_BLOB;
	bc.cb.ctx = in;
	bc.cb.suspended = upload_blob_suspended;
	bc.cb.done = upload_blob_done;
	bo_blob_cli_init(&in->blob, &bc);
}

/* Every target a node's unicast address, none listed twice: the Distributor keeps one
 * entry per address, so a repeated one would leave its Receivers List short of what the
 * Initiator added, and the Initiator resending the batch until it gave up. Quadratic, but
 * once per start and without memory of its own. */
static bool targets_valid(const uint16_t *targets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!bo_mesh_addr_is_unicast(targets[i]))
			return false;
		for (size_t j = 0; j < i; j++)
			if (targets[j] == targets[i])
				return false;
	}
	return true;
}

int bo_initiator_start(struct bo_initiator *in, const struct bo_initiator_image *img,
		       const struct bo_initiator_dist *dist, const uint16_t *targets,
		       const uint8_t *img_idxs, size_t n)
{
	bool any = false;

	if ((in->state != BO_INITIATOR_IDLE && in->state != BO_INITIATOR_DONE) || n == 0 ||
	    n > BO_INITIATOR_TARGETS_MAX || !targets_valid(targets, n) || img->size == 0 || img->fwid_len > BO_DFU_FWID_MAXLEN ||
	    img->metadata_len > BO_DFU_METADATA_MAXLEN || (img->fwid_len && !img->fwid) ||
	    (img->metadata_len && !img->metadata) || dist->policy > BO_DFD_POLICY_VERIFY_AND_APPLY)
		return -1;
	in->img = *img;
	in->dist = *dist;
	in->blob.cfg.source = img->area;
	memset(in->targets, 0, sizeof(in->targets));
	for (size_t i = 0; i < n; i++) {
		struct bo_initiator_target *t = &in->targets[i];

		t->addr = targets[i];
		t->img_idx = img_idxs ? img_idxs[i] : 0;
		if (bo_initiator_refused(in, t->addr, img->fwid, img->fwid_len))
			t->result = BO_INITIATOR_REFUSED_BEFORE;
		else
			any = true;
	}
	in->ntargets = (uint16_t)n;
	in->round = 0;
	in->upload_tries = 0;
	in->success = false;
	if (!any) {
		/* nothing to offer: end from the timer, not inside start */
		in->state = BO_INITIATOR_BACKOFF;
		in->waiting = true;
		in->tries = in->cfg.step_retries;
		arm(in, 0);
		return 0;
	}
	go(in, BO_INITIATOR_UPLOAD_START);
	return 0;
}

int bo_initiator_cancel(struct bo_initiator *in)
{
	if (in->state == BO_INITIATOR_IDLE || in->state == BO_INITIATOR_DONE)
		return -1;
	if (bo_blob_cli_state(&in->blob) != BO_BLOB_CLI_IDLE &&
	    bo_blob_cli_state(&in->blob) != BO_BLOB_CLI_DONE) {
		in->state = BO_INITIATOR_CANCEL; /* the BLOB client's done is ignored */
		(void)bo_blob_cli_cancel(&in->blob);
	}
	go(in, BO_INITIATOR_CANCEL);
	return 0;
}

int bo_initiator_suspend(struct bo_initiator *in)
{
	if (in->state != BO_INITIATOR_POLL)
		return -1;
	go(in, BO_INITIATOR_SUSPEND);
	return 0;
}

int bo_initiator_resume(struct bo_initiator *in)
{
	if (in->state != BO_INITIATOR_SUSPENDED)
		return -1;
	go(in, BO_INITIATOR_DIST_START);
	return 0;
}

int bo_initiator_apply(struct bo_initiator *in)
{
	bool any = false;

	if (in->state != BO_INITIATOR_DONE || in->dist.policy != BO_DFD_POLICY_VERIFY_ONLY)
		return -1;
	for (uint16_t i = 0; i < in->ntargets; i++) {
		struct bo_initiator_target *t = &in->targets[i];

		t->in_round = t->result == BO_INITIATOR_VERIFIED;
		if (t->in_round) {
			t->result = BO_INITIATOR_PENDING;
			any = true;
		}
	}
	if (!any)
		return -1;
	in->dist.policy = BO_DFD_POLICY_VERIFY_AND_APPLY; /* what a retry round uses, too */
	in->success = false;
	go(in, BO_INITIATOR_APPLY);
	return 0;
}

int bo_initiator_handle(struct bo_initiator *in, const struct bo_mesh_rx *rx, uint32_t opcode,
			const uint8_t *payload, size_t len)
{
	if (bo_blob_cli_handle(&in->blob, rx, opcode, payload, len))
		return 1;
	switch (opcode) {
	case BO_OP_DFD_UPLOAD_STATUS:
	case BO_OP_DFD_FW_STATUS:
	case BO_OP_DFD_RECEIVERS_STATUS:
	case BO_OP_DFD_STATUS:
	case BO_OP_DFD_RECEIVERS_LIST:
		break;
	default:
		return 0;
	}
	if (rx->src != in->cfg.distributor)
		return 1;
	switch (opcode) {
	case BO_OP_DFD_UPLOAD_STATUS:
		on_upload_status(in, payload, len);
		break;
	case BO_OP_DFD_FW_STATUS:
		on_fw_status(in, payload, len);
		break;
	case BO_OP_DFD_RECEIVERS_STATUS:
		on_receivers_status(in, payload, len);
		break;
	case BO_OP_DFD_STATUS:
		on_dist_status(in, payload, len);
		break;
	default:
		on_receivers_list(in, payload, len);
		break;
	}
	return 1;
}

int bo_initiator_timer(struct bo_initiator *in, uint32_t timer_id)
{
	if (timer_id != step_timer(in))
		return bo_blob_cli_timer(&in->blob, timer_id);
	switch (in->state) {
	case BO_INITIATOR_BACKOFF:
		if (in->waiting) /* start with nothing to offer */
			finish(in, BO_INITIATOR_LOST);
		else
			round_begin(in);
		return 1;
	case BO_INITIATOR_POLL:
		if (!in->waiting) {
			in->tries = 0;
			request(in);
			return 1;
		}
		break;
	case BO_INITIATOR_IDLE:
	case BO_INITIATOR_DONE:
	case BO_INITIATOR_UPLOAD_BLOB:
	case BO_INITIATOR_SUSPENDED:
		return 1;
	default:
		break;
	}
	/* an acknowledged request went unanswered */
	if (++in->tries > (in->state == BO_INITIATOR_POLL ? in->cfg.poll_retries
							  : in->cfg.step_retries)) {
		finish(in, in->state == BO_INITIATOR_CANCEL ? BO_INITIATOR_CANCELLED
							     : BO_INITIATOR_LOST);
		return 1;
	}
	request(in);
	return 1;
}
