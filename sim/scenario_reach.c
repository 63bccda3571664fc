/* sim/scenario_reach.c: hops from the Distributor over the scenario's links (see .h). */
#include "sim/scenario_reach.h"

#include <stdlib.h>

#include "sim/mesh_net.h"

static long links_of(const struct bo_scenario *s, struct mesh_link **links)
{
	const struct bo_scn_topology *t = &s->topology;
	uint32_t n = (uint32_t)s->node_count;

	if (t->kind == BO_TOPO_EXPLICIT) {
		*links = calloc(t->link_count ? t->link_count : 1, sizeof **links);
		if (!*links)
			return -1;
		for (size_t i = 0; i < t->link_count; i++)
			(*links)[i] = (struct mesh_link){
				(uint32_t)bo_scenario_node_index(s, t->links[i].a),
				(uint32_t)bo_scenario_node_index(s, t->links[i].b),
				1.0 - t->links[i].loss};
		return (long)t->link_count;
	}
	struct mesh_pos *pos = malloc((n ? n : 1) * sizeof *pos);
	long nl;

	if (!pos)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		pos[i] = (struct mesh_pos){s->nodes[i].x, s->nodes[i].y};
	nl = mesh_links_from_range(pos, n, t->range, t->loss, links);
	free(pos);
	return nl;
}

int bo_scenario_hops(const struct bo_scenario *s, const struct mesh_link *links, size_t nl,
		     uint32_t *hops, uint32_t *reach)
{
	uint32_t n = (uint32_t)s->node_count, src = s->initiator.distributor;
	uint32_t ttl = s->initiator.ttl < s->mesh.default_ttl ? s->initiator.ttl
							       : s->mesh.default_ttl;
	uint32_t *deg, *adj, *q, head = 0, tail = 0;

	*reach = ttl == 0 ? 1u : ttl;
	deg = calloc(n + 1u, sizeof *deg);
	adj = malloc((nl ? 2u * nl : 1u) * sizeof *adj);
	q = malloc((n ? n : 1u) * sizeof *q);
	if (!deg || !adj || !q) {
		free(deg), free(adj), free(q);
		return -1;
	}
	/* adjacency lists (CSR): node i's neighbours in adj[deg[i] .. deg[i + 1]) */
	for (size_t i = 0; i < nl; i++)
		if (links[i].delivery > 0) {
			deg[links[i].a + 1u]++;
			deg[links[i].b + 1u]++;
		}
	for (uint32_t i = 0; i < n; i++)
		deg[i + 1u] += deg[i];
	for (size_t i = 0; i < nl; i++)
		if (links[i].delivery > 0) {
			adj[deg[links[i].a]++] = links[i].b;
			adj[deg[links[i].b]++] = links[i].a;
		}
	for (uint32_t i = n; i > 0; i--) /* the fill moved each start to the next node's */
		deg[i] = deg[i - 1u];
	deg[0] = 0;
	for (uint32_t i = 0; i < n; i++)
		hops[i] = UINT32_MAX;
	hops[src] = 0;
	q[tail++] = src;
	while (head < tail) {
		uint32_t u = q[head++];

		if (u != src && !s->nodes[u].relay)
			continue; /* hears, does not forward */
		for (uint32_t k = deg[u]; k < deg[u + 1u]; k++)
			if (hops[adj[k]] == UINT32_MAX) {
				hops[adj[k]] = hops[u] + 1u;
				q[tail++] = adj[k];
			}
	}
	free(deg), free(adj), free(q);
	return 0;
}

int bo_scenario_reach(const struct bo_scenario *s, uint32_t *hops, uint32_t *reach)
{
	struct mesh_link *links = NULL;
	long nl = links_of(s, &links);
	if (nl < 0)
		return -1;
	int rc = bo_scenario_hops(s, links, (size_t)nl, hops, reach);
	free(links);
	return rc;
}
