/*
 * sim/mesh_net.c: the mesh network model (see sim/mesh_net.h for what is modelled).
 *
 * Layout: advertising bearer and network layer first (queues, transmissions, collisions,
 * cache, relaying), then the lower transport (segmentation, SAR), then the public API.
 * Every event carries (node, node epoch): mesh_node_reset() bumps the epoch, so events of
 * the node's previous life do nothing when they fire.
 */
#include "sim/mesh_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mesh_cache.h"
#include "sim/rng.h"

enum pdu_kind { PDU_UNSEG = 0, PDU_SEG = 1, PDU_ACK = 2 };

/* A network PDU, fields in the clear (no encryption is modelled). */
struct pdu {
	uint16_t src, dst;
	uint32_t seq;
	uint32_t seq_auth;  /* SEG, ACK: the message's SeqAuth */
	uint8_t ttl;
	uint8_t kind;
	uint8_t seg_o, seg_n;
	uint8_t len;        /* UNSEG: access bytes; SEG: upper transport bytes in the segment */
	uint8_t pad[3];
	uint8_t data[MESH_SEG_SIZE]; /* UNSEG/SEG: message bytes; ACK: block bitmap (LE) */
};

/* Event payload. */
struct ev {
	uint32_t node;
	uint32_t epoch;
	uint32_t idx;       /* SAR context index */
	uint32_t gen;       /* SAR tx: context generation; SAR rx: SeqAuth */
	struct pdu pdu;
};

_Static_assert(sizeof(struct ev) <= SIM_EVENT_PAYLOAD, "mesh event payload too large");

struct adv_entry {
	struct pdu pdu;
	bool relay;
	uint32_t rec;       /* the PDU's network cache record when queued (a hint) */
	uint64_t ready_at;  /* a relayed PDU: not on air before its relay delay has passed */
	uint64_t token; /* an unsegmented message's mesh_send() token: reported done when set */
};

/* A transmission event's idx (its gen: the PDU's cache record, a hint). */
enum { TXF_RELAY = 1, TXF_TOKEN = 2 };

struct rx_active {  /* a transmission arriving at a receiver (collision model) */
	uint64_t id;
	uint64_t until;     /* another transmission starting before this collides with it */
	uint64_t end;       /* end of the airtime event: forget the entry after it */
	bool collided;
};

enum tx_phase { TX_ROUND, TX_WAIT, TX_FINISH };

struct sar_tx {
	bool used;
	uint32_t gen;
	uint16_t dst;
	uint8_t ttl;
	uint8_t seg_n;
	bool group;
	bool first_round;
	enum tx_phase phase;
	uint32_t seq_auth;
	uint32_t acked;     /* unicast: segments acknowledged */
	uint32_t round;     /* segments to send in the current round */
	uint32_t next;      /* next segment index to consider in the round */
	uint32_t retries_left;
	uint16_t len;
	uint64_t token;
	sim_handle timer;
	uint8_t data[MESH_MAX_MSG];
};

enum rx_state { RX_BUSY = 1, RX_DONE, RX_ABANDONED };

struct sar_rx {
	uint16_t src, dst;
	uint8_t state;
	uint8_t seg_n;
	uint8_t ttl;
	uint8_t last_len;
	uint32_t seq_auth;
	uint32_t got;
	uint64_t discard_at;
	sim_handle ack_timer, discard_timer;
	uint8_t *buf;
};

/* 8 bytes: a node's neighbours, read by each of its transmissions, share one cache line. */
struct nbr {
	uint32_t node;
	uint32_t pass;  /* delivered when the high 32 bits of a u64 draw are below this;
			   PASS_ALWAYS: always, without a draw */
};

#define PASS_ALWAYS UINT32_MAX

/* Delivery probability as a threshold on a 32-bit draw (p = 1: no draw at all); 2^-32
 * steps are far below any loss a scenario can state. */
static uint32_t pass_threshold(double p)
{
	if (p >= 1.0)
		return PASS_ALWAYS;
	if (!(p > 0.0))
		return 0;
	double t = p * 4294967296.0; /* p * 2^32 */
	return t >= 4294967295.0 ? PASS_ALWAYS - 1u : (uint32_t)t;
}

/* Is a copy over a link with threshold pass lost? */
static inline bool link_loses(struct sim_rng *rng, uint32_t pass)
{
	return pass != PASS_ALWAYS && (uint32_t)(sim_rng_u64(rng) >> 32) >= pass;
}

/* What a copy of a transmission touches at its receiver before it is known to be new:
 * one cache line per node, all nodes in one array (net->hot). On a large all-relay mesh
 * nearly every copy is lost or a duplicate and touches nothing else of the node. */
struct rx_hot {
	_Alignas(64) struct sim_rng rng_link;
	uint64_t lost, pdus_received, duplicates; /* the node's counters (mesh_node_stats) */
	uint32_t lost_to_me; /* 32 bits to fit the line: 4 billion lost copies addressed to one
				node would take years of simulated time on a saturated grid */
	uint16_t group;      /* the node's first group subscription (0: none), so a lost
				group-addressed copy is told apart without the node's list */
	bool many_groups;    /* more than one subscription: the list decides */
	bool online;
};

_Static_assert(sizeof(struct rx_hot) == 64, "a receiver's hot state is one cache line");

/* The advertiser of a node (flags). ADV_BUSY: a PDU's transmissions are scheduled.
 * ADV_LINGER (batched transmissions only): the PDU at the head of the queue has had all
 * its transmissions decided, the last one ends at release_at, and nobody waits to be told
 * (no token); its buffer is freed by adv_settle() when the node next looks at its queue,
 * and the PDU behind it is scheduled at once (adv_kick), both instead of an event at the
 * end: one event fewer per relayed PDU of a flood, with the same outcomes (the next PDU's
 * advertising delay is the node's next draw either way). */
enum { ADV_BUSY = 1, ADV_LINGER = 2, ADV_LINGER_RELAY = 4 /* the lingering PDU is relayed */ };

/* A node. A transmission's events (ev_tx_batch, ev_tx_end: the most frequent ones) touch
 * the first two cache lines only: the senders of consecutive events are scattered over memory, so each
 * line touched is a miss. */
struct node {
	_Alignas(64) uint32_t epoch;
	uint32_t tx_k;
	struct adv_entry *q;
	uint32_t q_head, q_len, q_cap;
	uint32_t adv_used, relay_used;
	uint32_t nbr_off, nbr_cnt;
	uint8_t adv_state;  /* ADV_BUSY | ADV_LINGER | ADV_LINGER_RELAY */
	bool relay;
	uint16_t addr;
	uint64_t tx_start, release_at;
	/* second line */
	uint64_t tx_id; /* collisions only */
	sim_handle adv_ev;
	struct sim_rng rng_adv;
	uint64_t transmissions; /* st.transmissions, folded in by stats_fold() */
	struct sim_rng rng_relay;
	uint16_t *groups;
	size_t ngroups, cap_groups;
	uint32_t seq;
	struct sar_tx *tx;
	struct sar_rx *rx;
	size_t nrx, caprx;
	struct rx_active *act;
	size_t nact, capact;
	struct mesh_node_stats st;
};

struct mesh_net {
	struct sim_loop *loop;
	struct mesh_config cfg;
	uint32_t count;
	struct node *nodes;
	struct rx_hot *hot;  /* per node, 64-byte aligned */
	struct nbr *nbr;
	mesh_rx_fn rx;
	mesh_tx_done_fn tx_done;
	void *user;
	mesh_trace_fn trace;  /* message-level trace; NULL: off (each hook one branch) */
	void *trace_user;
	uint64_t next_tx_id;
	struct mesh_cache cache; /* every node's network message cache */
	struct mesh_net_stats st;
};

void mesh_config_default(struct mesh_config *cfg)
{
	*cfg = (struct mesh_config){
		.adv_airtime_us = 376,
		.adv_channels = 3,
		.adv_delay_max_us = 10000,
		.net_transmit_count = 2,
		.net_transmit_interval_us = 20000,
		.relay_retransmit_count = 2,
		.relay_retransmit_interval_us = 20000,
		.relay_delay_min_us = 10000,
		.relay_delay_max_us = 30000,
		.collisions = false,
		.collision_model = MESH_COLLIDE_CHANNEL,
		.half_duplex = false,
		.cache_size = 32,
		.adv_buffers = 6,
		.relay_buffers = 32,
		.default_ttl = 7,
		.relay_default = true,
		.unseg_max = 11,
		.trans_mic = 4,
		.seg_max_len = 380,
		.segment_interval_us = 60000,
		.ack_delay_max_halves = 5,
		.unicast_retrans_count = 2,
		.unicast_retrans_interval_us = 200000,
		.unicast_retrans_per_hop_us = 50000,
		.multicast_retrans_count = 2,
		.multicast_retrans_interval_us = 250000,
		.discard_timeout_us = 10000000,
		.tx_seg_max = 4,
	};
}

static bool config_valid(const struct mesh_config *c)
{
	return c->adv_channels >= 1 && c->cache_size >= 1 && c->cache_size <= (1u << 20) &&
	       (c->collision_model == MESH_COLLIDE_CHANNEL ||
		c->collision_model == MESH_COLLIDE_EVENT) && c->adv_buffers >= 1 &&
	       c->relay_delay_min_us <= c->relay_delay_max_us && c->default_ttl <= 127 &&
	       c->unseg_max >= 1 && c->unseg_max + c->trans_mic <= 15 &&
	       c->seg_max_len > c->unseg_max && c->seg_max_len + c->trans_mic <= MESH_MAX_MSG &&
	       c->tx_seg_max >= 1 && c->ack_delay_max_halves >= 1;
}

static inline struct node *node_at(struct mesh_net *net, uint32_t i)
{
	return &net->nodes[i];
}

static inline uint64_t now(const struct mesh_net *net)
{
	return sim_now(net->loop);
}

static inline uint64_t airtime(const struct mesh_net *net)
{
	return (uint64_t)net->cfg.adv_airtime_us * net->cfg.adv_channels;
}

static inline uint32_t full_mask(uint32_t seg_n)
{
	return seg_n >= 31 ? UINT32_MAX : ((1u << (seg_n + 1)) - 1u);
}

static inline struct ev node_ev(const struct node *n, uint32_t ni)
{
	struct ev e;
	memset(&e, 0, sizeof(e));
	e.node = ni;
	e.epoch = n->epoch;
	return e;
}

/* --- message-level trace (mesh_net.h): only reached when net->trace is set ------------ */

/* A network PDU dropped at node ni. */
static void trace_drop(struct mesh_net *net, uint32_t ni, const struct pdu *p, uint8_t reason)
{
	struct mesh_trace t = {.kind = MESH_TRACE_DROP, .reason = reason, .node = ni,
			       .src = p->src, .dst = p->dst, .ttl = p->ttl, .seq = p->seq};

	if (p->kind == PDU_SEG) {
		t.pdu = MESH_PDU_SEGMENT;
		t.seg_o = p->seg_o;
		t.seg_n = p->seg_n;
	} else if (p->kind == PDU_ACK) {
		t.pdu = MESH_PDU_SEG_ACK;
	}
	if (p->kind == PDU_UNSEG || (p->kind == PDU_SEG && p->seg_o == 0)) {
		t.data = p->data; /* the message, or its first bytes (the opcode) */
		t.len = p->len < MESH_SEG_SIZE ? p->len : MESH_SEG_SIZE;
	}
	net->trace(net->trace_user, &t);
}

/* An access message sent, refused or delivered at node ni. */
static void trace_msg(struct mesh_net *net, uint32_t ni, uint8_t kind, uint8_t reason,
		      uint16_t src, uint16_t dst, uint8_t ttl, const uint8_t *data, size_t len)
{
	struct mesh_trace t = {.kind = kind, .reason = reason, .node = ni, .src = src,
			       .dst = dst, .ttl = ttl, .data = data, .len = len};

	if (kind == MESH_TRACE_SEND)
		t.segments = mesh_segments(net, len);
	net->trace(net->trace_user, &t);
}

/* --- network message cache (sim/mesh_cache.h) ---------------------------------------- */

static inline uint64_t cache_key(uint16_t src, uint32_t seq)
{
	return ((uint64_t)src << 32) | seq;
}

/* --- advertising bearer ----------------------------------------------------------------- */

static void ev_tx_start(struct sim_loop *loop, void *ctx, void *payload);
static void ev_tx_end(struct sim_loop *loop, void *ctx, void *payload);
static void tx_pdu_done(struct mesh_net *net, uint32_t ni, const struct ev *e);
static void count_lost_to(struct mesh_net *net, uint32_t ri, const struct pdu *p);
static void net_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p,
			uint32_t *rec);

static void ev_tx_batch(struct sim_loop *loop, void *ctx, void *payload);

/* Extra transmissions of a PDU (its count): relayed or own. */
static inline uint32_t tx_count(const struct mesh_net *net, bool relay)
{
	return relay ? net->cfg.relay_retransmit_count : net->cfg.net_transmit_count;
}

static inline uint32_t tx_interval(const struct mesh_net *net, bool relay)
{
	return relay ? net->cfg.relay_retransmit_interval_us : net->cfg.net_transmit_interval_us;
}

#define TX_BATCH_MAX 16u /* a PDU of at most this many transmissions is batched */

/* Put the node's next transmission on air at `at`. Without collisions and half-duplex
 * nothing happens at the start of a transmission that anybody could observe, so the start
 * is folded into the end event, and a PDU's transmissions are batched (ev_tx_batch): the
 * flood of a large all-relay mesh is almost all transmissions. */
static void schedule_tx(struct mesh_net *net, struct node *n, const struct ev *e, uint64_t at)
{
	if (!net->cfg.collisions && !net->cfg.half_duplex) {
		n->tx_start = at;
		bool batch = n->tx_k == 0 && tx_count(net, e->idx & TXF_RELAY) < TX_BATCH_MAX;
		n->adv_ev = sim_schedule_at(net->loop, at + airtime(net),
					    batch ? ev_tx_batch : ev_tx_end, net, e, sizeof(*e));
		return;
	}
	n->adv_ev = sim_schedule_at(net->loop, at, ev_tx_start, net, e, sizeof(*e));
}

/* The slot of the queue entry k places behind the head (k < q_cap): no division, which
 * the profile of a flood showed as one of its largest costs. */
static inline uint32_t q_slot(const struct node *n, uint32_t k)
{
	uint32_t i = n->q_head + k;
	return i >= n->q_cap ? i - n->q_cap : i;
}

/* Free the buffer of the PDU at the head of the queue (its last transmission has ended). */
static void adv_release_head(struct node *n, bool relay)
{
	/* An emptied queue starts again at slot 0: a node that is not congested reuses one
	 * cache line of its queue instead of walking through all of them. */
	n->q_head = --n->q_len ? q_slot(n, 1) : 0;
	if (relay)
		n->relay_used--;
	else
		n->adv_used--;
}

/* A lingering PDU (ADV_LINGER) whose last transmission has ended by now leaves the queue:
 * the node's buffers are as an event at that end would have left them. */
static inline void adv_settle(const struct mesh_net *net, struct node *n)
{
	if ((n->adv_state & ADV_LINGER) && now(net) >= n->release_at) {
		bool relay = n->adv_state & ADV_LINGER_RELAY; /* not read from the queue: a miss */
		n->adv_state &= (uint8_t)~(ADV_LINGER | ADV_LINGER_RELAY);
		adv_release_head(n, relay);
	}
}

static void adv_kick(struct mesh_net *net, uint32_t ni)
{
	struct node *n = node_at(net, ni);
	/* A lingering head is still on air: the next PDU is the one behind it, and goes on air
	 * after the head's end. */
	uint32_t linger = (n->adv_state & ADV_LINGER) ? 1 : 0;
	if ((n->adv_state & ADV_BUSY) || n->q_len == linger)
		return;
	n->adv_state |= ADV_BUSY;
	n->tx_k = 0;
	/* The PDU rides in the transmission events (idx: TXF_*, gen: its cache record), so
	 * its (count + 1) transmissions do not read the queue entry again. */
	const struct adv_entry *head = &n->q[q_slot(n, linger)];
	struct ev e = node_ev(n, ni);
	e.pdu = head->pdu;
	e.idx = (head->relay ? TXF_RELAY : 0u) | (head->token ? TXF_TOKEN : 0u);
	e.gen = head->rec;
	uint64_t from = linger ? n->release_at : now(net);
	if (head->ready_at > from)
		from = head->ready_at;
	uint64_t d = sim_rng_range(&n->rng_adv, 0, net->cfg.adv_delay_max_us);
	schedule_tx(net, n, &e, from + d);
}

static void adv_push(struct mesh_net *net, uint32_t ni, const struct pdu *p, bool relay,
		     uint64_t token, uint64_t ready_at, uint32_t rec)
{
	struct node *n = node_at(net, ni);
	adv_settle(net, n);
	/* The pools bound the queue: adv_used + relay_used <= q_cap. */
	uint32_t tail = q_slot(n, n->q_len);
	n->q[tail].pdu = *p;
	n->q[tail].relay = relay;
	n->q[tail].token = token;
	n->q[tail].ready_at = ready_at;
	n->q[tail].rec = rec;
	if (n->q_len++ > 0) { /* behind the one on air */
		n->st.queued++;
		if (n->q_len > n->st.queue_peak)
			n->st.queue_peak = n->q_len;
	}
	adv_kick(net, ni);
}

/* Queue a PDU the node originates: assign its sequence number, cache it, send it. */
static int originate_token(struct mesh_net *net, uint32_t ni, struct pdu *p, uint64_t token)
{
	struct node *n = node_at(net, ni);
	adv_settle(net, n);
	if (n->adv_used >= net->cfg.adv_buffers) {
		n->st.dropped++;
		if (net->trace) {
			p->src = n->addr; /* no sequence number: it never left */
			trace_drop(net, ni, p, MESH_DROP_NO_ADV_BUFFER);
		}
		return -ENOBUFS;
	}
	p->src = n->addr;
	p->seq = n->seq++;
	uint32_t rec = mesh_cache_add(&net->cache, ni, cache_key(p->src, p->seq),
				      MESH_CACHE_NONE);
	n->adv_used++;
	n->st.pdus_sent++;
	adv_push(net, ni, p, false, token, 0, rec);
	return 0;
}

static int originate(struct mesh_net *net, uint32_t ni, struct pdu *p)
{
	return originate_token(net, ni, p, 0);
}

static void act_register(struct node *r, uint64_t id, uint64_t t, uint64_t until, uint64_t end)
{
	/* Forget receptions whose event ended before now (an event ending right now is still
	   to be taken by its own end event); the new transmission collides with those still
	   within their collision span. */
	size_t k = 0;
	bool collided = false;
	for (size_t i = 0; i < r->nact; i++) {
		if (r->act[i].end < t)
			continue;
		if (r->act[i].until > t) {
			r->act[i].collided = true;
			collided = true;
		}
		r->act[k++] = r->act[i];
	}
	r->nact = k;
	if (r->nact == r->capact) {
		size_t cap = r->capact ? r->capact * 2 : 4;
		struct rx_active *a = realloc(r->act, cap * sizeof(*a));
		if (!a)
			abort();
		r->act = a;
		r->capact = cap;
	}
	r->act[r->nact++] =
		(struct rx_active){.id = id, .until = until, .end = end, .collided = collided};
}

/* Remove the reception `id` at r; returns whether it collided. */
static bool act_take(struct node *r, uint64_t id)
{
	for (size_t i = 0; i < r->nact; i++) {
		if (r->act[i].id == id) {
			bool c = r->act[i].collided;
			r->act[i] = r->act[--r->nact];
			return c;
		}
	}
	return false;
}

static void ev_tx_start(struct sim_loop *loop, void *ctx, void *payload)
{
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	struct node *n = node_at(net, e->node);
	if (n->epoch != e->epoch)
		return;
	n->tx_start = sim_now(loop);
	n->tx_id = ++net->next_tx_id;
	uint64_t end = n->tx_start + airtime(net);
	if (net->cfg.collisions && net->hot[e->node].online) {
		/* The span another transmission must start within to collide with this one. */
		uint64_t until = n->tx_start + (net->cfg.collision_model == MESH_COLLIDE_EVENT
							 ? airtime(net)
							 : net->cfg.adv_airtime_us);
		for (uint32_t i = 0; i < n->nbr_cnt; i++) {
			struct node *r = node_at(net, net->nbr[n->nbr_off + i].node);
			if (net->hot[net->nbr[n->nbr_off + i].node].online)
				act_register(r, n->tx_id, n->tx_start, until, end);
		}
	}
	n->adv_ev = sim_schedule_at(loop, end, ev_tx_end, net, e, sizeof(*e));
}

static bool subscribed(const struct node *n, uint16_t group);

/* A transmission r missed: was it addressed to r (the "messages lost to it" of a target
 * that did not converge)? Only on the loss paths. */
static void count_lost_to(struct mesh_net *net, uint32_t ri, const struct pdu *p)
{
	struct rx_hot *h = &net->hot[ri];
	if (p->dst == mesh_node_addr(ri) ||
	    (p->dst >= MESH_GROUP_MIN &&
	     (p->dst == h->group || (h->many_groups && subscribed(node_at(net, ri), p->dst)))))
		h->lost_to_me++;
}

/* One copy of a transmission at receiver ri; *rec: the PDU's cache record (a hint). */
static void deliver(struct mesh_net *net, uint32_t ri, const struct pdu *p, uint64_t tx_id,
		    uint32_t pass, uint32_t *rec)
{
	struct rx_hot *h = &net->hot[ri];
	if (!h->online) {
		if (net->trace)
			trace_drop(net, ri, p, MESH_DROP_OFFLINE);
		return;
	}
	if (net->cfg.collisions || net->cfg.half_duplex) {
		struct node *r = node_at(net, ri);
		bool collided = net->cfg.collisions && act_take(r, tx_id);
		if (net->cfg.half_duplex) {
			/* Was r on air itself at some point of this transmission [t - airtime, t)? */
			uint64_t t = now(net), air = airtime(net);
			if (r->tx_start < t && r->tx_start + air > t - air) {
				r->st.deaf++;
				count_lost_to(net, ri, p);
				if (net->trace)
					trace_drop(net, ri, p, MESH_DROP_DEAF);
				return;
			}
		}
		if (collided) {
			r->st.collisions++;
			count_lost_to(net, ri, p);
			if (net->trace)
				trace_drop(net, ri, p, MESH_DROP_COLLISION);
			return;
		}
	}
	if (link_loses(&h->rng_link, pass)) {
		h->lost++;
		count_lost_to(net, ri, p);
		if (net->trace)
			trace_drop(net, ri, p, MESH_DROP_LOSS);
		return;
	}
	h->pdus_received++;
	net_receive(net, ri, p, rec);
}

static void ev_tx_end(struct sim_loop *loop, void *ctx, void *payload)
{
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	(void)loop;
	uint32_t ni = e->node;
	struct node *n = node_at(net, ni);
	if (n->epoch != e->epoch)
		return;
	n->adv_ev = SIM_HANDLE_NONE;
	adv_settle(net, n); /* a batched PDU before this one may still hold the head */
	struct pdu p = e->pdu;
	bool relay = e->idx & TXF_RELAY;
	if (net->hot[ni].online) {
		n->transmissions++;
		net->st.transmissions++;
		/* The receivers' states are scattered over memory: ask for all of them first so
		 * the misses overlap instead of coming one after the other. Their cache lookups
		 * are bits of one holder set, looked up once here. */
		for (uint32_t i = 0; i < n->nbr_cnt; i++)
			__builtin_prefetch(&net->hot[net->nbr[n->nbr_off + i].node]);
		uint32_t rec = mesh_cache_rec_of(&net->cache, cache_key(p.src, p.seq), e->gen);
		for (uint32_t i = 0; i < n->nbr_cnt; i++) {
			const struct nbr *b = &net->nbr[n->nbr_off + i];
			deliver(net, b->node, &p, n->tx_id, b->pass, &rec);
			if (n->epoch != e->epoch)
				return; /* a callback reset this node */
		}
	} else if (net->trace) {
		trace_drop(net, ni, &p, MESH_DROP_OFFLINE); /* its radio is off: not on air */
	}
	n->tx_k++;
	if (n->tx_k <= tx_count(net, relay)) {
		uint64_t at = n->tx_start + tx_interval(net, relay) +
			      sim_rng_range(&n->rng_adv, 0, net->cfg.adv_delay_max_us);
		schedule_tx(net, n, e, at);
		return;
	}
	tx_pdu_done(net, ni, e);
}

/* The PDU's last transmission has ended: free its buffer, start the next one. */
static void tx_pdu_done(struct mesh_net *net, uint32_t ni, const struct ev *e)
{
	struct node *n = node_at(net, ni);
	bool relay = e->idx & TXF_RELAY;
	uint64_t token = (e->idx & TXF_TOKEN) ? n->q[n->q_head].token : 0;
	adv_release_head(n, relay);
	n->adv_state = 0;
	adv_kick(net, ni);
	if (token && net->tx_done)
		net->tx_done(net->user, net, ni, e->pdu.dst, token, true);
}

/* --- batched transmissions (no collisions, no half-duplex) ------------------------------
 *
 * A PDU's (count + 1) transmissions are handled by two events instead of (count + 1): at
 * the end of the first one, every copy to every neighbour is decided (each with its own
 * link draw, as before); a copy that reaches a neighbour which neither holds the PDU yet
 * nor has an earlier copy on its way is delivered by an event at the end of its own
 * transmission (ev_tx_late), the others are counted there and then (a copy to a node that
 * holds the PDU does nothing but count). A second event at the end of the last
 * transmission frees the buffer (ev_tx_last), only when a mesh_send() token waits for that
 * end; otherwise the PDU lingers (ADV_LINGER) and no event is needed. Same distribution of outcomes as one event
 * per transmission; what moves: the counters and trace records of a PDU's later copies
 * that are lost or duplicates carry the first transmission's time (tens of ms early), and
 * a sender or receiver switched off between the transmissions is taken as it was at the
 * first one, except for the copies delivered late (checked when they land). */

static void ev_tx_last(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	struct node *n = node_at(net, e->node);
	if (n->epoch != e->epoch)
		return;
	n->adv_ev = SIM_HANDLE_NONE;
	tx_pdu_done(net, e->node, e);
}

/* A later copy of a PDU reaches e->node (idx: sender, gen: the sender's epoch). */
static void ev_tx_late(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	if (node_at(net, e->idx)->epoch != e->gen || !net->hot[e->idx].online)
		return; /* the sender lost power or went off: this copy was never sent */
	struct rx_hot *h = &net->hot[e->node];
	if (!h->online) {
		if (net->trace)
			trace_drop(net, e->node, &e->pdu, MESH_DROP_OFFLINE);
		return;
	}
	h->pdus_received++;
	uint32_t rec = MESH_CACHE_NONE;
	net_receive(net, e->node, &e->pdu, &rec);
}

/* Copies 0..c of a PDU from si (in its life s_epoch) at receiver ri; arrive[k]: when copy
 * k ends. */
static void deliver_batch(struct mesh_net *net, uint32_t si, uint32_t s_epoch, uint32_t ri,
			  const struct pdu *p, uint32_t pass, const uint64_t *arrive, uint32_t c,
			  uint32_t *rec)
{
	struct rx_hot *h = &net->hot[ri];
	if (!h->online) {
		if (net->trace)
			for (uint32_t k = 0; k <= c; k++)
				trace_drop(net, ri, p, MESH_DROP_OFFLINE);
		return;
	}
	bool own = p->src == mesh_node_addr(ri);
	bool coming = false; /* an earlier copy was received or is on its way */
	for (uint32_t k = 0; k <= c; k++) {
		if (link_loses(&h->rng_link, pass)) {
			h->lost++;
			count_lost_to(net, ri, p);
			if (net->trace)
				trace_drop(net, ri, p, MESH_DROP_LOSS);
			continue;
		}
		if (k == 0) {
			h->pdus_received++;
			net_receive(net, ri, p, rec);
			coming = true;
			continue;
		}
		if (!coming) {
			*rec = mesh_cache_rec_of(&net->cache, cache_key(p->src, p->seq), *rec);
			coming = own || mesh_cache_rec_held(&net->cache, *rec, ri);
			if (!coming) {
				struct ev e = node_ev(node_at(net, ri), ri);
				e.idx = si;
				e.gen = s_epoch;
				e.pdu = *p;
				sim_schedule_at(net->loop, arrive[k], ev_tx_late, net, &e, sizeof(e));
				coming = true;
				continue;
			}
		}
		h->pdus_received++; /* a duplicate, as net_receive() would count it */
		if (!own) {
			h->duplicates++;
			if (net->trace)
				trace_drop(net, ri, p, MESH_DROP_DUPLICATE);
		}
	}
}

/* The end of a PDU's first transmission: all its transmissions, batched (above). */
static void ev_tx_batch(struct sim_loop *loop, void *ctx, void *payload)
{
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	uint32_t ni = e->node;
	struct node *n = node_at(net, ni);
	if (n->epoch != e->epoch)
		return;
	n->adv_ev = SIM_HANDLE_NONE;
	adv_settle(net, n); /* the PDU before this one has left the air: this one is the head */
	if (n->q_len > 1) /* the next one, for adv_kick() below: its queue entry is a miss */
		__builtin_prefetch(&n->q[q_slot(n, 1)]);
	bool relay = e->idx & TXF_RELAY;
	uint32_t c = tx_count(net, relay);
	uint64_t arrive[TX_BATCH_MAX];
	arrive[0] = sim_now(loop);
	for (uint32_t k = 1; k <= c; k++) { /* the same draws as one event per transmission */
		n->tx_start += tx_interval(net, relay) +
			       sim_rng_range(&n->rng_adv, 0, net->cfg.adv_delay_max_us);
		arrive[k] = n->tx_start + airtime(net);
	}
	n->tx_k = c;
	if (net->hot[ni].online) {
		n->transmissions += c + 1;
		net->st.transmissions += c + 1;
		const struct nbr *nb = &net->nbr[n->nbr_off];
		for (uint32_t i = 0; i < n->nbr_cnt; i++)
			__builtin_prefetch(&net->hot[nb[i].node]);
		uint32_t rec = mesh_cache_rec_of(&net->cache, cache_key(e->pdu.src, e->pdu.seq),
						 e->gen);
		struct pdu p = e->pdu;
		for (uint32_t i = 0; i < n->nbr_cnt; i++) {
			const struct nbr *b = &net->nbr[n->nbr_off + i];
			deliver_batch(net, ni, e->epoch, b->node, &p, b->pass, arrive, c, &rec);
			if (n->epoch != e->epoch)
				return; /* a callback reset this node */
		}
	} else if (net->trace) {
		for (uint32_t k = 0; k <= c; k++)
			trace_drop(net, ni, &e->pdu, MESH_DROP_OFFLINE);
	}
	if (c == 0) {
		tx_pdu_done(net, ni, e);
		return;
	}
	if (!(e->idx & TXF_TOKEN)) { /* nobody waits for its end: no event (ADV_LINGER) */
		n->release_at = arrive[c];
		n->adv_state = ADV_LINGER | (relay ? ADV_LINGER_RELAY : 0);
		adv_kick(net, ni);
		return;
	}
	n->adv_ev = sim_schedule_at(loop, arrive[c], ev_tx_last, net, e, sizeof(*e));
}

/* --- network layer ------------------------------------------------------------------------ */

static void lower_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p);

static bool subscribed(const struct node *n, uint16_t group)
{
	for (size_t i = 0; i < n->ngroups; i++)
		if (n->groups[i] == group)
			return true;
	return false;
}

static void net_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p,
			uint32_t *rec)
{
	if (p->src == mesh_node_addr(ni))
		return;
	uint64_t key = cache_key(p->src, p->seq);
	*rec = mesh_cache_rec_of(&net->cache, key, *rec);
	if (mesh_cache_rec_held(&net->cache, *rec, ni)) {
		net->hot[ni].duplicates++;
		if (net->trace)
			trace_drop(net, ni, p, MESH_DROP_DUPLICATE);
		return;
	}
	struct node *n = node_at(net, ni);
	*rec = mesh_cache_add(&net->cache, ni, key, *rec);
	if (n->relay && p->dst != n->addr) {
		adv_settle(net, n); /* relay_used as of now */
		if (p->ttl < 2) {
			n->st.ttl_expired++;
			if (net->trace)
				trace_drop(net, ni, p, MESH_DROP_TTL);
		} else if (n->relay_used >= net->cfg.relay_buffers) {
			n->st.dropped++;
			n->st.dropped_relay++;
			if (net->trace)
				trace_drop(net, ni, p, MESH_DROP_NO_RELAY_BUFFER);
		} else {
			n->relay_used++;
			n->st.pdus_relayed++;
			/* Into the queue now, on air after the relay delay: an idle node sends it
			 * exactly as one that queued it after the delay would (the same draws), a
			 * busy one keeps the order of reception; no event between. */
			struct pdu r = *p;
			r.ttl = (uint8_t)(p->ttl - 1);
			uint64_t d = sim_rng_range(&n->rng_relay, net->cfg.relay_delay_min_us,
						   net->cfg.relay_delay_max_us);
			adv_push(net, ni, &r, true, 0, now(net) + d, *rec);
		}
	}
	bool for_me = p->dst == n->addr || p->dst == MESH_ADDR_ALL_NODES ||
		      (p->dst >= MESH_GROUP_MIN && subscribed(n, p->dst));
	if (for_me)
		lower_receive(net, ni, p);
}

/* --- lower transport: sender ------------------------------------------------------------- */

static void ev_sar_tx(struct sim_loop *loop, void *ctx, void *payload);

static void tx_arm(struct mesh_net *net, uint32_t ni, uint32_t ti, uint64_t delay)
{
	struct node *n = node_at(net, ni);
	struct sar_tx *t = &n->tx[ti];
	struct ev e = node_ev(n, ni);
	e.idx = ti;
	e.gen = t->gen;
	sim_cancel(net->loop, t->timer);
	t->timer = sim_schedule_in(net->loop, delay, ev_sar_tx, net, &e, sizeof(e));
}

uint64_t mesh_unicast_retrans_interval(const struct mesh_net *net, uint8_t ttl)
{
	uint64_t i = net->cfg.unicast_retrans_interval_us;
	if (ttl > 0)
		i += (uint64_t)net->cfg.unicast_retrans_per_hop_us * (uint64_t)(ttl - 1);
	return i;
}

static void tx_complete(struct mesh_net *net, uint32_t ni, uint32_t ti, bool ok)
{
	struct node *n = node_at(net, ni);
	struct sar_tx *t = &n->tx[ti];
	sim_cancel(net->loop, t->timer);
	uint16_t dst = t->dst;
	uint64_t token = t->token;
	t->timer = SIM_HANDLE_NONE;
	t->used = false;
	t->gen++;
	if (ok) {
		n->st.sar_ok++;
	} else {
		n->st.sar_failed++;
		if (net->trace)
			trace_msg(net, ni, MESH_TRACE_SAR_FAIL, MESH_DROP_NONE, n->addr, dst, t->ttl,
				  t->data, t->len);
	}
	if (net->tx_done)
		net->tx_done(net->user, net, ni, dst, token, ok);
}

static void tx_round_done(struct mesh_net *net, uint32_t ni, uint32_t ti)
{
	struct sar_tx *t = &node_at(net, ni)->tx[ti];
	t->phase = TX_WAIT;
	if (!t->group) {
		tx_arm(net, ni, ti, mesh_unicast_retrans_interval(net, t->ttl));
	} else if (t->retries_left > 0) {
		tx_arm(net, ni, ti, net->cfg.multicast_retrans_interval_us);
	} else {
		t->phase = TX_FINISH; /* report from an event, never from inside mesh_send() */
		tx_arm(net, ni, ti, 0);
	}
}

/* Send the next segment of the current round and schedule the one after. */
static void tx_segment(struct mesh_net *net, uint32_t ni, uint32_t ti)
{
	struct node *n = node_at(net, ni);
	struct sar_tx *t = &n->tx[ti];
	uint32_t todo = t->round & ~t->acked;
	while (t->next <= t->seg_n && !(todo & (1u << t->next)))
		t->next++;
	if (t->next > t->seg_n) {
		tx_round_done(net, ni, ti);
		return;
	}
	uint32_t o = t->next++;
	uint32_t ulen = (uint32_t)t->len + net->cfg.trans_mic;
	uint32_t off = o * MESH_SEG_SIZE;
	struct pdu p;
	memset(&p, 0, sizeof(p));
	p.dst = t->dst;
	p.ttl = t->ttl;
	p.kind = PDU_SEG;
	p.seg_o = (uint8_t)o;
	p.seg_n = t->seg_n;
	p.seq_auth = t->seq_auth;
	p.len = (uint8_t)(ulen - off < MESH_SEG_SIZE ? ulen - off : MESH_SEG_SIZE);
	if (off < t->len) {
		uint32_t k = t->len - off < MESH_SEG_SIZE ? t->len - off : MESH_SEG_SIZE;
		memcpy(p.data, t->data + off, k);
	}
	if (!t->first_round)
		n->st.seg_retransmitted++;
	(void)originate(net, ni, &p); /* a dropped segment is resent like a lost one */
	while (t->next <= t->seg_n && !(todo & (1u << t->next)))
		t->next++;
	if (t->next > t->seg_n)
		tx_round_done(net, ni, ti);
	else
		tx_arm(net, ni, ti, net->cfg.segment_interval_us);
}

static void tx_start_round(struct mesh_net *net, uint32_t ni, uint32_t ti)
{
	struct sar_tx *t = &node_at(net, ni)->tx[ti];
	t->round = full_mask(t->seg_n) & ~t->acked;
	t->next = 0;
	t->phase = TX_ROUND;
	tx_segment(net, ni, ti);
}

static void ev_sar_tx(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	struct node *n = node_at(net, e->node);
	if (n->epoch != e->epoch)
		return;
	struct sar_tx *t = &n->tx[e->idx];
	if (!t->used || t->gen != e->gen)
		return;
	t->timer = SIM_HANDLE_NONE;
	switch (t->phase) {
	case TX_ROUND:
		tx_segment(net, e->node, e->idx);
		break;
	case TX_WAIT:
		if (t->retries_left == 0) {
			tx_complete(net, e->node, e->idx, false);
			break;
		}
		t->retries_left--;
		t->first_round = false;
		tx_start_round(net, e->node, e->idx);
		break;
	case TX_FINISH:
		tx_complete(net, e->node, e->idx, true);
		break;
	}
}

static void ack_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p)
{
	struct node *n = node_at(net, ni);
	uint32_t block = (uint32_t)p->data[0] | (uint32_t)p->data[1] << 8 |
			 (uint32_t)p->data[2] << 16 | (uint32_t)p->data[3] << 24;
	for (uint32_t ti = 0; ti < net->cfg.tx_seg_max; ti++) {
		struct sar_tx *t = &n->tx[ti];
		if (!t->used || t->group || t->dst != p->src || t->seq_auth != p->seq_auth)
			continue;
		if (block == 0) { /* the receiver cannot take the message */
			tx_complete(net, ni, ti, false);
			return;
		}
		uint32_t full = full_mask(t->seg_n);
		uint32_t fresh = block & full & ~t->acked;
		t->acked |= block & full;
		if (t->acked == full) {
			tx_complete(net, ni, ti, true);
			return;
		}
		if (fresh) {
			t->retries_left = net->cfg.unicast_retrans_count;
			if (t->phase == TX_WAIT) { /* resend the rest at once */
				t->first_round = false;
				tx_start_round(net, ni, ti);
			}
		}
		return;
	}
}

/* --- lower transport: receiver ----------------------------------------------------------- */

static void ev_rx_ack(struct sim_loop *loop, void *ctx, void *payload);
static void ev_rx_discard(struct sim_loop *loop, void *ctx, void *payload);

static void send_ack(struct mesh_net *net, uint32_t ni, const struct sar_rx *rx, uint32_t block)
{
	struct node *n = node_at(net, ni);
	struct pdu p;
	memset(&p, 0, sizeof(p));
	p.dst = rx->src;
	p.ttl = rx->ttl == 0 ? 0 : net->cfg.default_ttl;
	p.kind = PDU_ACK;
	p.seq_auth = rx->seq_auth;
	p.len = 6;
	p.data[0] = (uint8_t)block;
	p.data[1] = (uint8_t)(block >> 8);
	p.data[2] = (uint8_t)(block >> 16);
	p.data[3] = (uint8_t)(block >> 24);
	if (originate(net, ni, &p) == 0)
		n->st.acks_sent++;
}

static void rx_forget(struct mesh_net *net, struct sar_rx *rx)
{
	sim_cancel(net->loop, rx->ack_timer);
	sim_cancel(net->loop, rx->discard_timer);
	rx->ack_timer = rx->discard_timer = SIM_HANDLE_NONE;
	free(rx->buf);
	rx->buf = NULL;
}

static void rx_arm_ack(struct mesh_net *net, uint32_t ni, size_t ri)
{
	struct node *n = node_at(net, ni);
	struct sar_rx *rx = &n->rx[ri];
	if (sim_is_pending(net->loop, rx->ack_timer))
		return;
	uint32_t halves = 2u * rx->seg_n + 1u; /* SegN + 0.5, in half segment intervals */
	if (halves > net->cfg.ack_delay_max_halves)
		halves = net->cfg.ack_delay_max_halves;
	struct ev e = node_ev(n, ni);
	e.idx = (uint32_t)ri;
	e.gen = rx->seq_auth;
	rx->ack_timer = sim_schedule_in(net->loop,
					(uint64_t)halves * net->cfg.segment_interval_us / 2u,
					ev_rx_ack, net, &e, sizeof(e));
}

static struct sar_rx *rx_valid(struct mesh_net *net, const struct ev *e)
{
	struct node *n = node_at(net, e->node);
	if (n->epoch != e->epoch || e->idx >= n->nrx || n->rx[e->idx].seq_auth != e->gen)
		return NULL;
	return &n->rx[e->idx];
}

static void ev_rx_ack(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	struct sar_rx *rx = rx_valid(net, e);
	if (!rx)
		return;
	rx->ack_timer = SIM_HANDLE_NONE;
	if (rx->state == RX_BUSY)
		send_ack(net, e->node, rx, rx->got);
	else if (rx->state == RX_DONE)
		send_ack(net, e->node, rx, full_mask(rx->seg_n));
}

static void ev_rx_discard(struct sim_loop *loop, void *ctx, void *payload)
{
	struct mesh_net *net = ctx;
	struct ev *e = payload;
	struct sar_rx *rx = rx_valid(net, e);
	if (!rx)
		return;
	rx->discard_timer = SIM_HANDLE_NONE;
	if (rx->state != RX_BUSY)
		return;
	if (sim_now(loop) < rx->discard_at) { /* segments arrived since: wait on */
		rx->discard_timer = sim_schedule_at(loop, rx->discard_at, ev_rx_discard, net, e,
						    sizeof(*e));
		return;
	}
	rx_forget(net, rx);
	rx->state = RX_ABANDONED;
	node_at(net, e->node)->st.rx_discarded++;
}

static void seg_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p)
{
	struct node *n = node_at(net, ni);
	if (p->seg_o > p->seg_n || p->seg_n >= MESH_SEG_MAX)
		return;
	size_t ri;
	for (ri = 0; ri < n->nrx; ri++)
		if (n->rx[ri].src == p->src && n->rx[ri].dst == p->dst)
			break;
	if (ri == n->nrx) {
		if (n->nrx == n->caprx) {
			size_t cap = n->caprx ? n->caprx * 2 : 4;
			struct sar_rx *a = realloc(n->rx, cap * sizeof(*a));
			if (!a)
				abort();
			n->rx = a;
			n->caprx = cap;
		}
		memset(&n->rx[ri], 0, sizeof(n->rx[ri]));
		n->rx[ri].src = p->src;
		n->rx[ri].dst = p->dst;
		n->nrx++;
	} else if (p->seq_auth < n->rx[ri].seq_auth) {
		return; /* an older message */
	} else if (p->seq_auth > n->rx[ri].seq_auth) {
		if (n->rx[ri].state == RX_BUSY)
			n->st.rx_discarded++;
		rx_forget(net, &n->rx[ri]);
		n->rx[ri].state = 0;
	}
	struct sar_rx *rx = &n->rx[ri];
	bool unicast = p->dst == n->addr;
	if (rx->state == 0) {
		rx->buf = malloc(MESH_MAX_MSG);
		if (!rx->buf)
			abort();
		rx->state = RX_BUSY;
		rx->seq_auth = p->seq_auth;
		rx->seg_n = p->seg_n;
		rx->got = 0;
		rx->last_len = 0;
	}
	if (rx->state == RX_ABANDONED)
		return;
	if (rx->state == RX_DONE) {
		if (unicast)
			rx_arm_ack(net, ni, ri); /* our acknowledgement was lost: repeat it */
		return;
	}
	if (p->seg_n != rx->seg_n)
		return;
	uint32_t bit = 1u << p->seg_o;
	if (rx->got & bit)
		return;
	rx->got |= bit;
	rx->ttl = p->ttl;
	memcpy(rx->buf + (size_t)p->seg_o * MESH_SEG_SIZE, p->data, MESH_SEG_SIZE);
	if (p->seg_o == p->seg_n)
		rx->last_len = p->len;
	rx->discard_at = now(net) + net->cfg.discard_timeout_us;
	if (!sim_is_pending(net->loop, rx->discard_timer)) {
		struct ev e = node_ev(n, ni);
		e.idx = (uint32_t)ri;
		e.gen = rx->seq_auth;
		rx->discard_timer = sim_schedule_at(net->loop, rx->discard_at, ev_rx_discard, net,
						    &e, sizeof(e));
	}
	if (rx->got != full_mask(rx->seg_n)) {
		if (unicast)
			rx_arm_ack(net, ni, ri);
		return;
	}
	/* Complete: acknowledge at once, then deliver. */
	rx->state = RX_DONE;
	sim_cancel(net->loop, rx->ack_timer);
	sim_cancel(net->loop, rx->discard_timer);
	rx->ack_timer = rx->discard_timer = SIM_HANDLE_NONE;
	if (unicast)
		send_ack(net, ni, rx, rx->got);
	uint32_t ulen = (uint32_t)rx->seg_n * MESH_SEG_SIZE + rx->last_len;
	uint8_t *buf = rx->buf;
	rx->buf = NULL; /* ours now: the callback may reset the node */
	uint16_t src = rx->src, dst = rx->dst;
	uint8_t ttl = rx->ttl;
	if (ulen > net->cfg.trans_mic) {
		n->st.msgs_delivered++;
		if (net->trace)
			trace_msg(net, ni, MESH_TRACE_RECEIVE, MESH_DROP_NONE, src, dst, ttl, buf,
				  ulen - net->cfg.trans_mic);
		if (net->rx)
			net->rx(net->user, net, ni, src, dst, ttl, buf, ulen - net->cfg.trans_mic);
	}
	free(buf);
}

static void lower_receive(struct mesh_net *net, uint32_t ni, const struct pdu *p)
{
	struct node *n = node_at(net, ni);
	switch (p->kind) {
	case PDU_UNSEG:
		n->st.msgs_delivered++;
		if (net->trace)
			trace_msg(net, ni, MESH_TRACE_RECEIVE, MESH_DROP_NONE, p->src, p->dst, p->ttl,
				  p->data, p->len);
		if (net->rx)
			net->rx(net->user, net, ni, p->src, p->dst, p->ttl, p->data, p->len);
		break;
	case PDU_ACK:
		if (p->dst == n->addr)
			ack_receive(net, ni, p);
		break;
	case PDU_SEG:
		seg_receive(net, ni, p);
		break;
	default:
		break;
	}
}

/* --- public API ---------------------------------------------------------------------------- */

long mesh_links_from_range(const struct mesh_pos *pos, uint32_t count, double range, double loss,
			   struct mesh_link **links)
{
	size_t n = 0, cap = 0;
	struct mesh_link *out = NULL;
	double r2 = range * range;
	for (uint32_t a = 0; a < count; a++) {
		for (uint32_t b = a + 1; b < count; b++) {
			double dx = pos[a].x - pos[b].x, dy = pos[a].y - pos[b].y;
			if (dx * dx + dy * dy > r2)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct mesh_link *m = realloc(out, cap * sizeof(*m));
				if (!m) {
					free(out);
					*links = NULL;
					return -1;
				}
				out = m;
			}
			out[n++] = (struct mesh_link){.a = a, .b = b, .delivery = 1.0 - loss};
		}
	}
	*links = out;
	return (long)n;
}

struct dir_edge {
	uint32_t from, to;
	size_t order;
	double p;
};

static int edge_cmp(const void *x, const void *y)
{
	const struct dir_edge *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

struct mesh_net *mesh_net_create(struct sim_loop *loop, const struct mesh_config *cfg,
				 uint32_t count, const struct mesh_link *links, size_t nlinks,
				 uint64_t seed)
{
	struct mesh_config c;
	if (cfg)
		c = *cfg;
	else
		mesh_config_default(&c);
	if (!loop || count == 0 || count >= 0x7fff || !config_valid(&c) || (nlinks && !links))
		return NULL;
	for (size_t i = 0; i < nlinks; i++) {
		const struct mesh_link *l = &links[i];
		if (l->a >= count || l->b >= count || l->a == l->b || !(l->delivery >= 0.0) ||
		    l->delivery > 1.0)
			return NULL;
	}
	struct mesh_net *net = calloc(1, sizeof(*net));
	struct dir_edge *edges = nlinks ? calloc(2 * nlinks, sizeof(*edges)) : NULL;
	if (!net || (nlinks && !edges)) {
		free(net);
		free(edges);
		return NULL;
	}
	net->loop = loop;
	net->cfg = c;
	net->count = count;
	net->nodes = aligned_alloc(_Alignof(struct node), count * sizeof(*net->nodes));
	if (net->nodes)
		memset(net->nodes, 0, count * sizeof(*net->nodes));
	net->nbr = nlinks ? calloc(2 * nlinks, sizeof(*net->nbr)) : NULL;
	net->hot = aligned_alloc(_Alignof(struct rx_hot), count * sizeof(*net->hot));
	if (!net->nodes || (nlinks && !net->nbr) || !net->hot ||
	    mesh_cache_init(&net->cache, count, c.cache_size) != 0)
		goto fail;
	memset(net->hot, 0, count * sizeof(*net->hot));

	/* Adjacency (CSR), each undirected link both ways; for duplicates the last wins. */
	for (size_t i = 0; i < nlinks; i++) {
		edges[2 * i] = (struct dir_edge){links[i].a, links[i].b, i, links[i].delivery};
		edges[2 * i + 1] = (struct dir_edge){links[i].b, links[i].a, i, links[i].delivery};
	}
	qsort(edges, 2 * nlinks, sizeof(*edges), edge_cmp);
	size_t m = 0;
	for (size_t i = 0; i < 2 * nlinks; i++) {
		if (i + 1 < 2 * nlinks && edges[i + 1].from == edges[i].from &&
		    edges[i + 1].to == edges[i].to)
			continue; /* a later duplicate follows */
		struct node *n = &net->nodes[edges[i].from];
		if (n->nbr_cnt == 0)
			n->nbr_off = (uint32_t)m;
		n->nbr_cnt++;
		net->nbr[m++] = (struct nbr){.node = edges[i].to, .pass = pass_threshold(edges[i].p)};
	}
	free(edges);
	edges = NULL;

	for (uint32_t i = 0; i < count; i++) {
		struct node *n = &net->nodes[i];
		n->addr = mesh_node_addr(i);
		n->tx_start = UINT64_MAX; /* never transmitted */
		n->relay = c.relay_default;
		net->hot[i].online = true;
		sim_rng_derive(&n->rng_adv, seed, i, MESH_RNG_ADV);
		sim_rng_derive(&n->rng_relay, seed, i, MESH_RNG_RELAY);
		sim_rng_derive(&net->hot[i].rng_link, seed, i, MESH_RNG_LINK);
		n->q_cap = c.adv_buffers + c.relay_buffers;
		n->q = calloc(n->q_cap, sizeof(*n->q));
		n->tx = calloc(c.tx_seg_max, sizeof(*n->tx));
		if (!n->q || !n->tx)
			goto fail;
	}
	return net;
fail:
	free(edges);
	mesh_net_destroy(net);
	return NULL;
}

void mesh_net_destroy(struct mesh_net *net)
{
	if (!net)
		return;
	if (net->nodes) {
		for (uint32_t i = 0; i < net->count; i++) {
			struct node *n = &net->nodes[i];
			for (size_t r = 0; r < n->nrx; r++)
				free(n->rx[r].buf);
			free(n->rx);
			free(n->act);
			free(n->groups);
			free(n->q);
			free(n->tx);
		}
	}
	free(net->nodes);
	free(net->nbr);
	mesh_cache_free(&net->cache);
	free(net->hot);
	free(net);
}

void mesh_net_set_callbacks(struct mesh_net *net, mesh_rx_fn rx, mesh_tx_done_fn tx_done,
			    void *user)
{
	net->rx = rx;
	net->tx_done = tx_done;
	net->user = user;
}

void mesh_net_set_trace(struct mesh_net *net, mesh_trace_fn fn, void *user)
{
	net->trace = fn;
	net->trace_user = user;
}

uint32_t mesh_net_count(const struct mesh_net *net)
{
	return net->count;
}

const struct mesh_config *mesh_net_config(const struct mesh_net *net)
{
	return &net->cfg;
}

struct sim_loop *mesh_net_loop(const struct mesh_net *net)
{
	return net->loop;
}

/* The receiver's hot line mirrors its subscriptions (count_lost_to). */
static void hot_groups_sync(struct mesh_net *net, uint32_t node)
{
	const struct node *n = node_at(net, node);
	net->hot[node].group = n->ngroups ? n->groups[0] : 0;
	net->hot[node].many_groups = n->ngroups > 1;
}

int mesh_node_subscribe(struct mesh_net *net, uint32_t node, uint16_t group)
{
	if (node >= net->count || group < MESH_GROUP_MIN || group > MESH_GROUP_MAX)
		return -EINVAL;
	struct node *n = node_at(net, node);
	if (subscribed(n, group))
		return 0;
	if (n->ngroups == n->cap_groups) {
		size_t cap = n->cap_groups ? n->cap_groups * 2 : 4;
		uint16_t *g = realloc(n->groups, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		n->groups = g;
		n->cap_groups = cap;
	}
	n->groups[n->ngroups++] = group;
	hot_groups_sync(net, node);
	return 0;
}

int mesh_node_unsubscribe(struct mesh_net *net, uint32_t node, uint16_t group)
{
	if (node >= net->count || group < MESH_GROUP_MIN || group > MESH_GROUP_MAX)
		return -EINVAL;
	struct node *n = node_at(net, node);
	for (size_t i = 0; i < n->ngroups; i++) {
		if (n->groups[i] == group) {
			memmove(&n->groups[i], &n->groups[i + 1],
				(n->ngroups - i - 1) * sizeof(*n->groups));
			n->ngroups--;
			break;
		}
	}
	hot_groups_sync(net, node);
	return 0;
}

bool mesh_node_subscribed(const struct mesh_net *net, uint32_t node, uint16_t group)
{
	return node < net->count && subscribed(&net->nodes[node], group);
}

void mesh_node_set_relay(struct mesh_net *net, uint32_t node, bool relay)
{
	if (node < net->count)
		net->nodes[node].relay = relay;
}

void mesh_node_set_online(struct mesh_net *net, uint32_t node, bool online)
{
	if (node < net->count) {
		net->hot[node].online = online;
		if (!online)
			net->nodes[node].nact = 0;
	}
}

bool mesh_node_online(const struct mesh_net *net, uint32_t node)
{
	return node < net->count && net->hot[node].online;
}

void mesh_node_reset(struct mesh_net *net, uint32_t node)
{
	if (node >= net->count)
		return;
	struct node *n = node_at(net, node);
	n->epoch++;
	sim_cancel(net->loop, n->adv_ev);
	n->adv_ev = SIM_HANDLE_NONE;
	n->q_head = n->q_len = 0;
	n->adv_used = n->relay_used = 0;
	n->adv_state = 0;
	n->tx_k = 0;
	for (uint32_t i = 0; i < net->cfg.tx_seg_max; i++) {
		struct sar_tx *t = &n->tx[i];
		sim_cancel(net->loop, t->timer);
		t->timer = SIM_HANDLE_NONE;
		if (t->used) {
			t->used = false;
			t->gen++;
		}
	}
	for (size_t r = 0; r < n->nrx; r++)
		rx_forget(net, &n->rx[r]);
	n->nrx = 0;
	mesh_cache_clear(&net->cache, node);
	n->nact = 0;
	n->st.resets++;
	/* Kept, as a real node keeps them in flash: address, subscriptions, relay, SEQ. */
}

uint32_t mesh_segments(const struct mesh_net *net, size_t len)
{
	if (len <= net->cfg.unseg_max)
		return 0;
	return (uint32_t)((len + net->cfg.trans_mic + MESH_SEG_SIZE - 1) / MESH_SEG_SIZE);
}

static int send_access(struct mesh_net *net, uint32_t node, uint16_t dst, uint8_t ttl,
		       const uint8_t *data, size_t len, uint64_t token)
{
	if (!net || node >= net->count || !data || len == 0 || len > net->cfg.seg_max_len)
		return -EINVAL;
	struct node *n = node_at(net, node);
	bool group = dst >= MESH_GROUP_MIN;
	if (dst == 0 || (dst >= 0x8000u && dst < MESH_GROUP_MIN) || dst == n->addr)
		return -EINVAL;
	if (ttl == MESH_TTL_DEFAULT)
		ttl = net->cfg.default_ttl;
	if (ttl > 127)
		return -EINVAL;
	if (!net->hot[node].online)
		return -ENETDOWN;
	uint32_t segs = mesh_segments(net, len);
	if (segs == 0) {
		struct pdu p;
		memset(&p, 0, sizeof(p));
		p.dst = dst;
		p.ttl = ttl;
		p.kind = PDU_UNSEG;
		p.len = (uint8_t)len;
		memcpy(p.data, data, len);
		int rc = originate_token(net, node, &p, token);
		if (rc == 0) {
			n->st.msgs_sent++;
			net->st.messages_sent++;
		}
		return rc;
	}
	if (segs > MESH_SEG_MAX)
		return -EINVAL;
	uint32_t free_ti = UINT32_MAX;
	for (uint32_t i = 0; i < net->cfg.tx_seg_max; i++) {
		if (!n->tx[i].used) {
			if (free_ti == UINT32_MAX)
				free_ti = i;
		} else if (n->tx[i].dst == dst) {
			return -EBUSY;
		}
	}
	if (free_ti == UINT32_MAX)
		return -EBUSY;
	struct sar_tx *t = &n->tx[free_ti];
	uint32_t gen = t->gen;
	memset(t, 0, sizeof(*t));
	t->gen = gen;
	t->used = true;
	t->dst = dst;
	t->ttl = ttl;
	t->group = group;
	t->seg_n = (uint8_t)(segs - 1);
	t->first_round = true;
	t->seq_auth = n->seq++; /* reserved: every segment's SEQ follows it */
	t->retries_left = group ? net->cfg.multicast_retrans_count : net->cfg.unicast_retrans_count;
	t->len = (uint16_t)len;
	t->token = token;
	memcpy(t->data, data, len);
	n->st.msgs_sent++;
	net->st.messages_sent++;
	tx_start_round(net, node, free_ti);
	return 0;
}

int mesh_send(struct mesh_net *net, uint32_t node, uint16_t dst, uint8_t ttl, const uint8_t *data,
	      size_t len, uint64_t token)
{
	int rc = send_access(net, node, dst, ttl, data, len, token);

	/* -EINVAL: nothing to trace (net may be NULL); -ENOBUFS: traced as a drop */
	if (rc != -EINVAL && net->trace && rc != -ENOBUFS)
		trace_msg(net, node, rc == 0 ? MESH_TRACE_SEND : MESH_TRACE_REFUSED,
			  rc == 0 ? MESH_DROP_NONE
			  : rc == -ENETDOWN ? MESH_DROP_OFFLINE : MESH_DROP_BUSY,
			  net->nodes[node].addr, dst, ttl == MESH_TTL_DEFAULT ? net->cfg.default_ttl : ttl,
			  data, len);
	return rc;
}

/* The receive counters live in net->hot (see struct rx_hot): bring them in. */
static void stats_fold(const struct mesh_net *net, uint32_t node)
{
	struct mesh_node_stats *st = &net->nodes[node].st;
	const struct rx_hot *h = &net->hot[node];
	st->lost = h->lost;
	st->pdus_received = h->pdus_received;
	st->duplicates = h->duplicates;
	st->lost_to_me = h->lost_to_me;
	st->transmissions = net->nodes[node].transmissions;
}

const struct mesh_node_stats *mesh_node_stats(const struct mesh_net *net, uint32_t node)
{
	if (node >= net->count)
		return NULL;
	stats_fold(net, node);
	return &net->nodes[node].st;
}

const struct mesh_net_stats *mesh_net_stats(const struct mesh_net *net)
{
	return &net->st;
}

void mesh_net_totals(const struct mesh_net *net, struct mesh_node_stats *sum)
{
	/* The struct is all uint64_t counters: add them as an array. */
	enum { FIELDS = sizeof(struct mesh_node_stats) / sizeof(uint64_t) };
	_Static_assert(sizeof(struct mesh_node_stats) % sizeof(uint64_t) == 0, "counters only");
	uint64_t acc[FIELDS] = {0};
	for (uint32_t i = 0; i < net->count; i++) {
		stats_fold(net, i);
		uint64_t v[FIELDS];
		memcpy(v, &net->nodes[i].st, sizeof(v));
		for (size_t f = 0; f < FIELDS; f++)
			acc[f] += v[f];
	}
	memcpy(sum, acc, sizeof(*sum));
}
