/* sim/gateway_link.c: see gateway_link.h. */
#include "sim/gateway_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_link_init(struct sim_link *l, struct sim_loop *loop, uint64_t latency_us,
		   uint32_t bytes_per_s, sim_link_deliver_fn deliver, void *ctx)
{
	memset(l, 0, sizeof *l);
	l->loop = loop;
	l->latency_us = latency_us;
	l->bytes_per_s = bytes_per_s ? bytes_per_s : 1u;
	l->deliver = deliver;
	l->ctx = ctx;
}

void sim_link_free(struct sim_link *l)
{
	free(l->q[0].ring);
	free(l->q[1].ring);
	memset(l->q, 0, sizeof l->q);
}

/* Arrival of the oldest message of one direction: messages of a direction are due in
 * queue order, and events due at the same time run in scheduling order, so the head is
 * always the one arriving. */
static void arrive(struct sim_loop *loop, void *ctx, void *payload)
{
	struct sim_link *l = ctx;
	enum sim_link_dir dir;
	struct sim_link_queue *q;
	struct sim_link_msg m;

	(void)loop;
	memcpy(&dir, payload, sizeof dir);
	q = &l->q[dir];
	m = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	l->deliver(l->ctx, dir, m.src, m.dst, m.pdu, m.len);
}

static void grow(struct sim_link_queue *q)
{
	size_t cap = q->cap ? q->cap * 2 : 16;
	struct sim_link_msg *ring = malloc(cap * sizeof *ring);

	if (!ring) {
		fprintf(stderr, "brownout: out of memory (gateway link)\n");
		abort();
	}
	for (size_t i = 0; i < q->len; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
}

int sim_link_send(struct sim_link *l, enum sim_link_dir dir, uint16_t src, uint16_t dst,
		  const uint8_t *pdu, size_t len)
{
	struct sim_link_queue *q = &l->q[dir];
	struct sim_link_msg *m;
	uint64_t now = sim_now(l->loop), start, tx_us;

	if (len == 0 || len > SIM_LINK_MSG_MAX)
		return -1;
	if (q->len == q->cap)
		grow(q);
	m = &q->ring[(q->head + q->len) % q->cap];
	m->src = src;
	m->dst = dst;
	m->len = (uint16_t)len;
	memcpy(m->pdu, pdu, len);
	q->len++;
	start = q->busy_until > now ? q->busy_until : now;
	tx_us = ((uint64_t)len * 1000000u + l->bytes_per_s - 1u) / l->bytes_per_s;
	q->busy_until = start + tx_us;
	l->messages++;
	l->bytes += len;
	sim_schedule_at(l->loop, q->busy_until + l->latency_us, arrive, l, &dir, sizeof dir);
	return 0;
}
