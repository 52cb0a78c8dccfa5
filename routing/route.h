/* route.h — the routing graph: every active link's cost from its measured
 * rate (history of the last hour; nominal rate / distance until there is
 * one), its queue (latency = queued bytes / rate) and its recent failures;
 * links whose destination has no live download agent, or whose source has
 * no storage.xml, are out.  Dijkstra runs backwards from the destination so
 * every node gets its cheapest cost and next hop towards it.  Used by the
 * router and by `phedex subscribe --dry-run` / `phedex why`. */
#pragma once

#include "tmdb/tmdb.h"

typedef struct
{
  int n;           /* node ids are 0..n-1 */
  double *cost;    /* seconds to move a typical file from node to the destination (INFINITY: no path) */
  int *next;       /* next hop towards the destination (-1: none) */
  double *rate;    /* bytes/s of the slowest link on that path */
  double *latency; /* seconds of queue ahead along that path */
} PxRoutes;

/* Load the link graph and compute the routes to DEST. */
gboolean px_routes_compute (PxTmdb *db, int dest, PxRoutes *routes, GError **error);
void px_routes_clear (PxRoutes *routes);
/* The hops from V to DEST as text: "v,next,...,dest". */
char *px_routes_path (const PxRoutes *routes, int v, int dest);

/* The routes as the parallel arrays the routing statements take (router_route,
 * dryrun): every node with a path to the destination, its cost, next hop,
 * path ("v,...,dest"), bottleneck rate and queue latency. */
typedef struct
{
  PxTmdbArray *nodes, *costs, *next, *paths, *rates, *latencies;
} PxRouteArrays;
void px_route_arrays_init (PxRouteArrays *arrays, const PxRoutes *routes, int dest);
void px_route_arrays_clear (PxRouteArrays *arrays);
