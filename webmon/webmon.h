/* webmon.h — phedex-webmon's parts: the server (webmon/main.c), the pages
 * (webmon/pages.c) and the plots (webmon/plot.c). */
#pragma once

#include "common/px-common.h"
#include "common/px-json.h"
#include "tmdb/tmdb.h"
#include "tmdb/tmdb-table.h"

/* One request being answered: pages write HTML into html or JSON into json
 * (api), from statements run on db inside one read-only snapshot. */
typedef struct
{
  PxTmdb *db;
  gboolean api;
  const char *path;   /* without /api/v1 */
  GHashTable *args;   /* query parameters (validated) */
  GString *html;      /* the page's main part */
  PxJson json;        /* the API's object (open: pages add members) */
  GString *title;
  int status;         /* 200 unless a page says otherwise */
  char *now_utc;      /* "as of": the database time */
  double now;
  gint64 period;      /* seconds: 1h, 24h, 7d */
  double end;         /* the window's end (epoch seconds): until= if given (not after now), else now */
  const char *by;     /* link | src | dst */
} PxWebReq;

/* A page: fills REQ; FALSE with ERROR on a database error.  A page that
 * finds nothing sets req->status = 404 and says why. */
typedef gboolean (*PxWebPage) (PxWebReq *req, char **parts, GError **error);

/* The route for PATH's first part ("" for /), its parameters, or NULL. */
typedef struct
{
  const char *name;      /* first path part */
  int n_parts;           /* parts after it (-1: any) */
  PxWebPage page;
  const char *const *params;
} PxWebRoute;
const PxWebRoute *px_web_route (const char *first, int n_more);

/* Escapers for each output context. */
void px_web_html (GString *out, const char *text);         /* HTML text and attribute values */
void px_web_url (GString *out, const char *component);     /* a URL component, then HTML-escaped */
void px_web_prom_label (GString *out, const char *value);  /* a Prometheus label value */
char *px_web_like_prefix (const char *prefix);             /* PREFIX as a LIKE pattern: PREFIX% */
void px_web_bytes (GString *out, gint64 bytes);            /* "1.2 GB" (SI, as the CLI) */

/* Plots: series of (t, value) stacked by name, top 10 plus "other". */
typedef struct _PxPlot PxPlot;
PxPlot *px_plot_new (const char *title, const char *unit, gint64 start, gint64 end, gint64 step, gint64 now);
void px_plot_add (PxPlot *plot, const char *series, gint64 t, double value);
void px_plot_svg (PxPlot *plot, GString *out);
void px_plot_free (PxPlot *plot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxPlot, px_plot_free)

/* /metrics: written without the database's part when it is down (DB_UP
 * FALSE) or its statement fails; FALSE then. */
gboolean px_web_metrics (PxTmdb *db, GString *out, gboolean db_up);
void px_web_metrics_request (const char *page, int status, double seconds);
