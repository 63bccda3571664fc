/*
 * sim/mesh_net.h: a Bluetooth Mesh network model on the event loop (sim/event.h).
 *
 * N nodes, node i having unicast address i + 1, joined by undirected links that each
 * deliver a transmission with a given probability. Defaults come from
 * docs/reference/mesh-dfu.md, "Bearer and transport" (Mesh Protocol 1.1, Zephyr).
 *
 * Model (every figure is a field of struct mesh_config):
 *
 * Advertising bearer. Each node has one advertiser that sends the network PDUs queued at
 * the node one after the other (FIFO). A PDU is sent (count + 1) times: transmission 0
 * starts after a random delay in [0, adv_delay_max] (the BLE advDelay, which also stands
 * for host-to-controller latency), transmission k + 1 starts interval + a new random delay
 * in [0, adv_delay_max] after the start of transmission k (advDelay accumulates, as in an
 * advertising set). One transmission is modelled as ONE airtime event covering all three
 * advertising channels back to back: channels x 376 us = 1128 us; a receiver gets it at
 * the end of that event, with the link's delivery probability (drawn per transmission and
 * receiver). The next PDU in the queue starts when the last transmission of the current
 * one ends. Own PDUs use network transmit count/interval, relayed ones relay retransmit
 * count/interval.
 *
 * Collisions (optional, off by default). Two transmissions that overlap at a receiver
 * linked to both transmitters are both lost at that receiver (no capture effect). What
 * "overlap" means is collision_model: MESH_COLLIDE_CHANNEL (the default) tells channels
 * apart: every advertiser sends its three packets back to back on channels 37, 38, 39 in
 * that order, so two transmissions meet on the same channel exactly when they start less
 * than one packet airtime (376 us) apart; MESH_COLLIDE_EVENT lumps the channels together
 * and counts any overlap of the two 1128 us events (three times as many collisions; the
 * pessimistic bound). A node does not hear itself.
 *
 * Half-duplex (optional, off by default): a node misses every transmission that arrives
 * while it is on air itself (its scanner is off while it advertises).
 *
 * Network layer. A received PDU whose (source, sequence number) is in the node's network
 * message cache (FIFO, cache_size entries) is a duplicate and dropped; otherwise it goes
 * into the cache, to the lower transport if addressed to the node (its unicast address, a
 * group it subscribes to, or 0xFFFF all-nodes) and, on a relay node, is relayed when its
 * TTL is >= 2 and its destination is not the node's own unicast address: with TTL - 1,
 * not before a random delay in [relay_delay_min, relay_delay_max] (the reference gives no
 * figure; ours makes a hop cost tens of milliseconds). The relayed PDU joins the node's
 * advertising queue when it is received and waits out that delay at its head (an idle
 * node sends it after delay + advertising delay; a busy one sends PDUs in the order it
 * received them). A node drops PDUs from its own address and never relays them. Sending
 * nodes add their own PDUs to their cache.
 *
 * Buffers. A PDU the node originates holds one of adv_buffers from queueing until its last
 * transmission ends; a PDU accepted for relaying holds one of relay_buffers from reception
 * (through the relay delay) to its last transmission. A PDU that finds its pool full is
 * dropped and counted (and, for an unsegmented message, mesh_send() returns -ENOBUFS).
 *
 * Lower transport. An access message (opcode included) of up to unseg_max (11) bytes is
 * one unsegmented PDU. Longer ones, up to seg_max_len (380), are segmented: the upper
 * transport PDU is the message plus trans_mic bytes (4), cut into ceil((len + mic) / 12)
 * segments (at most 32). Each segment, and each retransmitted segment, is a network PDU
 * with its own sequence number; SeqAuth is the sequence number of the first segment.
 * - Unicast: segments go out one per segment_interval (60 ms). The receiver arms its
 *   acknowledgement timer on a new segment if it is not running, for
 *   min(SegN + 0.5, ack_delay_max_segments (2.5)) x segment_interval, and on expiry sends a
 *   Segment Acknowledgement (an unsegmented control PDU with the block bitmap); when the
 *   last missing segment arrives it acknowledges at once and delivers the message.
 *   Segments of a completed message re-arm the timer (the ack was lost: acknowledge again).
 *   The sender, once a round of segments is out, waits unicast_retrans_interval
 *   (200 ms) + unicast_retrans_per_hop (50 ms) x (TTL - 1) (the TTL as hop estimate, as in
 *   Mesh 1.1; TTL 0: no increment), then resends the unacknowledged segments, at most
 *   unicast_retrans_count (2) times without progress: an acknowledgement that acknowledges
 *   new segments restores the count and triggers the resend at once. Out of retries, or an
 *   acknowledgement with an empty bitmap (receiver refuses), the message fails.
 * - Group: all segments, then multicast_retrans_count (2) more rounds of all segments
 *   multicast_retrans_interval (250 ms) after the previous round; no acknowledgements.
 *   Completion is reported (ok) after the last round.
 * - Receivers keep one reassembly per (source, destination), as Zephyr does: a segment
 *   with a newer SeqAuth abandons an unfinished older message, older SeqAuths are ignored. An unfinished message is
 *   discarded discard_timeout (10 s) after its last new segment.
 * - Like Zephyr: at most tx_seg_max segmented sends in progress per node (Zephyr's
 *   CONFIG_BT_MESH_TX_SEG_MSG_COUNT; our default 4 lets a Distributor talk to a few Targets
 *   while a group transfer runs) and one per destination (else -EBUSY). Concurrent sends
 *   share the node's one advertiser. No loopback: a node cannot send to itself.
 *
 * Faults. An offline node neither sends nor receives (its timers keep running, so its SAR
 * sends time out); mesh_node_reset() is power loss: it drops everything in RAM (queued
 * PDUs, pending relays, SAR contexts without callbacks, the cache) but keeps what a real
 * node keeps in flash (address, subscriptions, relay setting, sequence number).
 *
 * Not modelled: keys and encryption (PDUs carry plain fields), IV update, replay protection
 * lists (the cache and SeqAuth checks stand in), friendship, GATT proxy, directed
 * forwarding, heartbeat, Mesh 1.1 SAR acknowledgement retransmissions and segment
 * thresholds.
 *
 * Timing of the bookkeeping (without collisions and half-duplex): a PDU's transmissions
 * are decided together at the end of its first one. A copy that brings a node a PDU it did
 * not have is delivered at the end of its own transmission, as modelled above; the counters
 * (lost, pdus_received, duplicates, lost_to_me, transmissions) and the trace records of
 * the later copies that are lost or duplicates are booked at the first transmission's end.
 *
 * Randomness comes only from sim/rng streams derived from (seed, node, MESH_RNG_*), and all
 * activity from the event loop, so one seed gives one run. No globals: a network is a
 * struct; many may run in parallel threads, each on its own loop.
 */
#ifndef SIM_MESH_NET_H
#define SIM_MESH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/event.h"

#define MESH_SEG_SIZE 12u      /* upper transport bytes per segment */
#define MESH_SEG_MAX 32u       /* segments per message */
#define MESH_MAX_MSG 384u      /* upper transport PDU maximum */
#define MESH_ADDR_ALL_NODES 0xffffu
#define MESH_GROUP_MIN 0xc000u
#define MESH_GROUP_MAX 0xfeffu

/* PRNG stream purposes (sim_rng_derive(seed, node, purpose)). */
enum {
	MESH_RNG_ADV = 1,   /* advertising delays */
	MESH_RNG_RELAY = 2, /* relay delays */
	MESH_RNG_LINK = 3,  /* link loss, drawn by the receiver */
};

enum {
	MESH_COLLIDE_CHANNEL = 0, /* packets on the same channel overlap (start < 376 us apart) */
	MESH_COLLIDE_EVENT = 1,   /* the 3-channel events overlap (start < 1128 us apart) */
};

struct mesh_config {
	/* Advertising bearer */
	uint32_t adv_airtime_us;          /* one advertising packet on air: 376 */
	uint32_t adv_channels;            /* channels per advertising event: 3 */
	uint32_t adv_delay_max_us;        /* random delay per transmission: 10000 (0-10 ms) */
	uint32_t net_transmit_count;      /* extra transmissions of own PDUs: 2 */
	uint32_t net_transmit_interval_us;   /* 20000 */
	uint32_t relay_retransmit_count;  /* extra transmissions of relayed PDUs: 2 */
	uint32_t relay_retransmit_interval_us; /* 20000 */
	uint32_t relay_delay_min_us;      /* random delay before relaying: 10000 */
	uint32_t relay_delay_max_us;      /* 30000 */
	bool collisions;                  /* overlapping transmissions lost: false */
	int collision_model;              /* MESH_COLLIDE_CHANNEL (default) or _EVENT */
	bool half_duplex;                 /* deaf while transmitting: false */
	/* Network layer */
	uint32_t cache_size;              /* network message cache entries: 32 */
	uint32_t adv_buffers;             /* own PDUs queued or on air: 6 */
	uint32_t relay_buffers;           /* relayed PDUs pending or on air: 32 */
	uint8_t default_ttl;              /* TTL for MESH_TTL_DEFAULT and for acks: 7 */
	bool relay_default;               /* relay feature enabled on new nodes: true */
	/* Lower transport */
	uint32_t unseg_max;               /* unsegmented access message maximum: 11 */
	uint32_t trans_mic;               /* transport MIC bytes added before segmenting: 4 */
	uint32_t seg_max_len;             /* segmented access message maximum: 380 */
	uint32_t segment_interval_us;     /* 60000 */
	uint32_t ack_delay_max_halves;    /* ack delay cap in half segment intervals: 5 (2.5) */
	uint32_t unicast_retrans_count;   /* 2 */
	uint32_t unicast_retrans_interval_us; /* 200000 */
	uint32_t unicast_retrans_per_hop_us;  /* 50000 */
	uint32_t multicast_retrans_count; /* 2 */
	uint32_t multicast_retrans_interval_us; /* 250000 */
	uint32_t discard_timeout_us;      /* 10000000 */
	uint32_t tx_seg_max;              /* segmented sends in progress per node: 4 */
};

#define MESH_TTL_DEFAULT 0xffu

/* A link: nodes a and b hear each other's transmissions with probability `delivery`. */
struct mesh_link {
	uint32_t a, b;
	double delivery;
};

struct mesh_pos {
	double x, y;
};

struct mesh_node_stats {
	uint64_t msgs_sent;        /* access messages accepted by mesh_send() */
	uint64_t msgs_delivered;   /* access messages delivered to this node's rx callback */
	uint64_t pdus_sent;        /* network PDUs originated (segments, acks included) */
	uint64_t pdus_relayed;     /* network PDUs accepted for relaying */
	uint64_t transmissions;    /* advertising events put on air */
	uint64_t pdus_received;    /* transmissions received (not lost, not collided) */
	uint64_t duplicates;       /* received PDUs dropped by the network message cache */
	uint64_t dropped;          /* PDUs dropped because an adv or relay buffer was full */
	uint64_t lost;             /* transmissions lost on a link (delivery probability) */
	uint64_t collisions;       /* transmissions lost here in a collision */
	uint64_t deaf;             /* transmissions missed while transmitting (half_duplex) */
	uint64_t ttl_expired;      /* PDUs not relayed because their TTL was < 2 */
	uint64_t seg_retransmitted; /* segments resent by SAR (unicast retries, group rounds) */
	uint64_t sar_ok;           /* segmented sends completed (unicast: acknowledged) */
	uint64_t sar_failed;       /* segmented unicast sends that gave up */
	uint64_t acks_sent;        /* Segment Acknowledgements sent */
	uint64_t rx_discarded;     /* unfinished reassemblies discarded or abandoned */
	uint64_t resets;           /* mesh_node_reset() calls */
	/* diagnostics (issue 14) */
	uint64_t queued;           /* PDUs queued behind another one (the advertiser busy) */
	uint64_t queue_peak;       /* the most PDUs queued at once (summed by mesh_net_totals) */
	uint64_t dropped_relay;    /* of dropped: relayed PDUs that found relay_buffers full */
	uint64_t lost_to_me;       /* of lost + collisions + deaf: transmissions of PDUs
				      addressed to this node (its address or a group of its) */
};

struct mesh_net_stats {
	uint64_t messages_sent;    /* access messages accepted, all nodes */
	uint64_t transmissions;    /* advertising events, all nodes */
};

struct mesh_net;

/*
 * Message-level trace (`brownout run --events 3`): with a trace function set, the network
 * reports every access message sent, refused and delivered, every network PDU dropped
 * (and why) and every segmented send that gave up, at the node where it happened. Without
 * one, each hook costs a single branch.
 */
enum mesh_trace_kind {
	MESH_TRACE_SEND = 1,  /* mesh_send() accepted an access message */
	MESH_TRACE_REFUSED,   /* mesh_send() refused one (reason OFFLINE or BUSY; a full
				 advertising pool is a DROP with NO_ADV_BUFFER) */
	MESH_TRACE_RECEIVE,   /* an access message delivered to the node's rx callback */
	MESH_TRACE_DROP,      /* a network PDU dropped at the node (reason) */
	MESH_TRACE_SAR_FAIL,  /* a segmented unicast send gave up (no acknowledgement) */
};

enum mesh_drop_reason {
	MESH_DROP_NONE = 0,
	MESH_DROP_LOSS,            /* lost on the link (its delivery probability) */
	MESH_DROP_COLLISION,       /* overlapped another transmission at the receiver */
	MESH_DROP_DEAF,            /* the receiver was transmitting (half_duplex) */
	MESH_DROP_TTL,             /* not relayed: TTL < 2 */
	MESH_DROP_DUPLICATE,       /* already in the network message cache */
	MESH_DROP_NO_ADV_BUFFER,   /* an own PDU found adv_buffers full */
	MESH_DROP_NO_RELAY_BUFFER, /* a PDU to relay found relay_buffers full */
	MESH_DROP_OFFLINE,         /* the node is off: it neither sends nor hears */
	MESH_DROP_BUSY,            /* (REFUSED) too many segmented sends, or one to dst */
};

enum mesh_pdu_type { MESH_PDU_ACCESS = 0, MESH_PDU_SEGMENT = 1, MESH_PDU_SEG_ACK = 2 };

struct mesh_trace {
	uint8_t kind;             /* enum mesh_trace_kind */
	uint8_t reason;           /* enum mesh_drop_reason (DROP, REFUSED) */
	uint8_t pdu;              /* enum mesh_pdu_type of the PDU (DROP) */
	uint8_t ttl;
	uint32_t node;            /* where it happened (index) */
	uint16_t src, dst;
	uint32_t seq;             /* DROP: the PDU's sequence number */
	uint8_t seg_o, seg_n;     /* DROP of a segment: segment seg_o of 0..seg_n */
	uint32_t segments;        /* SEND: segments of the message (0: unsegmented) */
	/* The access message (opcode first) where it is known: SEND, REFUSED, RECEIVE, and a
	 * DROP of an unsegmented PDU or of a message's first segment (its first bytes); NULL
	 * otherwise. Valid during the call. */
	const uint8_t *data;
	size_t len;
};

typedef void (*mesh_trace_fn)(void *user, const struct mesh_trace *t);

/*
 * Access message delivered to node `node` (index, not address): from unicast `src` to
 * `dst` (the node's unicast address, a group it subscribes to, or 0xFFFF), received with
 * TTL `ttl`. `data` (opcode included) is valid until the callback returns.
 */
typedef void (*mesh_rx_fn)(void *user, struct mesh_net *net, uint32_t node, uint16_t src,
			   uint16_t dst, uint8_t ttl, const uint8_t *data, size_t len);
/*
 * A segmented send of `node` finished: ok = acknowledged (unicast) or every round sent
 * (group). `token` is the value given to mesh_send(). Also called (ok) for an unsegmented
 * message sent with a nonzero token, after its last transmission. Not called for sends
 * dropped by mesh_node_reset().
 */
typedef void (*mesh_tx_done_fn)(void *user, struct mesh_net *net, uint32_t node, uint16_t dst,
				uint64_t token, bool ok);

void mesh_config_default(struct mesh_config *cfg);

/*
 * Links between every pair of positions at distance <= range, each with delivery
 * probability 1 - loss. Returns the number of links and sets *links (free() it); -1 on
 * out of memory.
 */
long mesh_links_from_range(const struct mesh_pos *pos, uint32_t count, double range, double loss,
			   struct mesh_link **links);

/*
 * A network of `count` nodes on `loop` with the given links (a link naming a node >=
 * count, a self-link or a probability outside [0, 1] makes it fail; duplicates keep the
 * last probability). cfg NULL: defaults. The config is copied. Returns NULL on bad input or
 * out of memory.
 */
struct mesh_net *mesh_net_create(struct sim_loop *loop, const struct mesh_config *cfg,
				 uint32_t count, const struct mesh_link *links, size_t nlinks,
				 uint64_t seed);
/* Free everything; the loop may still hold events for the net: free or drain it first. */
void mesh_net_destroy(struct mesh_net *net);

void mesh_net_set_callbacks(struct mesh_net *net, mesh_rx_fn rx, mesh_tx_done_fn tx_done,
			    void *user);
/* Message-level trace (above); fn NULL: none (the default). */
void mesh_net_set_trace(struct mesh_net *net, mesh_trace_fn fn, void *user);

uint32_t mesh_net_count(const struct mesh_net *net);
const struct mesh_config *mesh_net_config(const struct mesh_net *net);
struct sim_loop *mesh_net_loop(const struct mesh_net *net);

static inline uint16_t mesh_node_addr(uint32_t node)
{
	return (uint16_t)(node + 1u);
}

/* Group subscriptions (0xC000-0xFEFF). Return 0, or -EINVAL. */
int mesh_node_subscribe(struct mesh_net *net, uint32_t node, uint16_t group);
int mesh_node_unsubscribe(struct mesh_net *net, uint32_t node, uint16_t group);
bool mesh_node_subscribed(const struct mesh_net *net, uint32_t node, uint16_t group);

void mesh_node_set_relay(struct mesh_net *net, uint32_t node, bool relay);
void mesh_node_set_online(struct mesh_net *net, uint32_t node, bool online);
bool mesh_node_online(const struct mesh_net *net, uint32_t node);
/* Power loss: drop the node's in-flight state (see above). */
void mesh_node_reset(struct mesh_net *net, uint32_t node);

/*
 * Send an access message (opcode included, 1..seg_max_len bytes) from `node` to `dst`
 * (unicast other than the node's own, a group, or 0xFFFF), with `ttl` (0..127 or
 * MESH_TTL_DEFAULT). Returns 0 when accepted; -EINVAL (bad arguments), -ENETDOWN (node
 * offline), -ENOBUFS (unsegmented: advertising buffers full), -EBUSY (segmented: too many
 * in progress, or one to this destination already).
 */
int mesh_send(struct mesh_net *net, uint32_t node, uint16_t dst, uint8_t ttl, const uint8_t *data,
	      size_t len, uint64_t token);

/* Number of segments a message of len bytes takes (0: unsegmented). */
uint32_t mesh_segments(const struct mesh_net *net, size_t len);
/* The unicast retransmission interval for a TTL (us). */
uint64_t mesh_unicast_retrans_interval(const struct mesh_net *net, uint8_t ttl);

/* The node's counters as of this call (a later call sees later counts). */
const struct mesh_node_stats *mesh_node_stats(const struct mesh_net *net, uint32_t node);
const struct mesh_net_stats *mesh_net_stats(const struct mesh_net *net);
/* Every node's counters summed field by field. */
void mesh_net_totals(const struct mesh_net *net, struct mesh_node_stats *sum);

#endif
