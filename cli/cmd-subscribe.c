/* phedex subscribe | unsubscribe | suspend | resume — a data manager's
 * subscriptions: what should be where.  Each names --node and one of
 * --dataset or --block.  The node's router acts on a change at once (the
 * subscriptions table notifies it). */
#include "cli.h"
#include "routing/route.h"
#include <math.h>
#include <string.h>

typedef struct
{
  char *db, *node, *dataset, *block;
  gboolean json;
} Target;

static void
target_clear (Target *t)
{
  g_free (t->db);
  g_free (t->node);
  g_free (t->dataset);
  g_free (t->block);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

#define TARGET_ENTRIES(t) \
  PX_CLI_DB_ENTRY ((t).db), \
  { "node", 'n', 0, G_OPTION_ARG_STRING, &(t).node, "the destination node (required)", "NODE" }, \
  { "dataset", 'D', 0, G_OPTION_ARG_STRING, &(t).dataset, "a dataset, with every block (also ones added later)", "NAME" }, \
  { "block", 'B', 0, G_OPTION_ARG_STRING, &(t).block, "a single block (DATASET#ID)", "NAME" }, \
  { "json", 0, 0, G_OPTION_ARG_NONE, &(t).json, "JSON output", NULL }

/* Check the options and connect; NULL after printing the error.  *STATUS is
 * the exit status to return then. */
static PxTmdb *
target_open (const char *cmd, Target *t, int argc, int *status)
{
  *status = PX_EXIT_USAGE;
  if (!t->node || !t->dataset == !t->block || argc != 1)
    {
      px_cli_error (cmd, "name --node and exactly one of --dataset or --block\nTry 'phedex %s -h' for usage.", cmd);
      return NULL;
    }
  *status = PX_EXIT_FAILURE;
  g_autoptr(PxTmdb) db = px_cli_connect (cmd, t->db, FALSE);
  if (!db)
    return NULL;
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) n = px_tmdb_run (db, "node_id", &e, t->node);
  g_autoptr(PxRows) d = n ? px_tmdb_run (db, t->dataset ? "dataset_id" : "block_id", &e,
                                         t->dataset ? t->dataset : t->block)
                          : NULL;
  if (!d)
    {
      px_cli_error (cmd, "%s", e->message);
      return NULL;
    }
  if (px_rows_count (n) == 0)
    {
      px_cli_error (cmd, "unknown node '%s' (see 'phedex nodes')", t->node);
      return NULL;
    }
  if (px_rows_count (d) == 0)
    {
      px_cli_error (cmd, "unknown %s '%s' (inject it first; see 'phedex replicas')", t->dataset ? "dataset" : "block",
                    t->dataset ? t->dataset : t->block);
      return NULL;
    }
  return g_steal_pointer (&db);
}

static const char *
what (const Target *t)
{
  return t->dataset ? t->dataset : t->block;
}

/* Print the route the router would take for each group of files now. */
static int
dry_run (PxTmdb *db, const Target *t)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) n = px_tmdb_run (db, "node_id", &e, t->node);
  if (!n)
    return px_cli_error ("subscribe", "%s", e->message), PX_EXIT_FAILURE;
  int dest = (int) px_rows_get_int (n, 0, 0);
  PxRoutes r = { 0 };
  if (!px_routes_compute (db, dest, &r, &e))
    return px_cli_error ("subscribe", "%s", e->message), PX_EXIT_FAILURE;
  PxRouteArrays ra;
  px_route_arrays_init (&ra, &r, dest);
  px_routes_clear (&r);
  g_autoptr(PxRows) g = px_tmdb_query (db, px_sql_dryrun, &e, PX_INT (dest), PX_TEXT (t->dataset ? t->dataset : ""),
                                       PX_TEXT (t->block ? t->block : ""), PX_ARRAY (ra.nodes), PX_ARRAY (ra.costs),
                                       PX_ARRAY (ra.paths), PX_ARRAY (ra.rates), PX_ARRAY (ra.latencies));
  px_route_arrays_clear (&ra);
  if (!g)
    return px_cli_error ("subscribe", "%s", e->message), PX_EXIT_FAILURE;
  g_autoptr(GString) o = g_string_new (t->json ? "{\"dry_run\":true,\"node\":" : NULL);
  gint64 files = 0, bytes = 0;
  double eta = 0;
  gboolean unroutable = FALSE;
  if (t->json)
    {
      px_json_append_string (o, t->node);
      g_string_append (o, ",\"routes\":[");
    }
  for (guint i = 0; i < px_rows_count (g); i++)
    {
      const char *path = px_rows_get (g, i, 0);
      gint64 nf = px_rows_get_int (g, i, 1), nb = px_rows_get_int (g, i, 2);
      double rate = path ? g_ascii_strtod (px_rows_get (g, i, 3), NULL) : 0;
      double lat = path ? g_ascii_strtod (px_rows_get (g, i, 4), NULL) : 0;
      double secs = path && rate > 0 ? lat + nb / rate : -1;
      files += nf, bytes += nb;
      eta = secs < 0 ? eta : MAX (eta, secs);
      unroutable |= !path;
      if (t->json)
        {
          g_string_append (o, i ? ",{\"path\":" : "{\"path\":");
          px_json_append_string (o, path);
          g_string_append_printf (o, ",\"files\":%" G_GINT64_FORMAT ",\"bytes\":%" G_GINT64_FORMAT, nf, nb);
          if (secs >= 0)
            g_string_append_printf (o, ",\"eta_seconds\":%.0f}", secs);
          else
            g_string_append_printf (o, ",\"eta_seconds\":null,\"no_source\":%s}", px_rows_get (g, i, 5));
          continue;
        }
      g_autofree char *size = px_cli_bytes (nb);
      if (path)
        {
          g_autofree char *r_s = px_cli_bytes ((gint64) rate);
          printf ("  %" G_GINT64_FORMAT " files, %s via %s (%s/s, about %.0f s)\n", nf, size, path, r_s, secs);
        }
      else
        printf ("  %" G_GINT64_FORMAT " files, %s: no route now (%s without any replica; else no live link)\n", nf,
                size, px_rows_get (g, i, 5));
    }
  if (t->json)
    {
      g_string_append_printf (o, "],\"files\":%" G_GINT64_FORMAT ",\"bytes\":%" G_GINT64_FORMAT
                                 ",\"eta_seconds\":%.0f}\n", files, bytes, eta);
      fputs (o->str, stdout);
    }
  else
    {
      g_autofree char *size = px_cli_bytes (bytes);
      printf ("dry run: subscribing %s to %s would move %" G_GINT64_FORMAT " files, %s; ETA about %.0f s at current "
              "link rates%s. Nothing was changed.\n", what (t), t->node, files, size, eta,
              unroutable ? " (for the routable part)" : "");
    }
  return PX_EXIT_OK;
}

int
px_cmd_subscribe (int argc, char **argv)
{
  g_auto(Target) t = { 0 };
  g_autofree char *priority = NULL, *group = NULL;
  gboolean move = FALSE, custodial = FALSE, dry = FALSE;
  GOptionEntry entries[] = {
    TARGET_ENTRIES (t),
    { "priority", 'p', 0, G_OPTION_ARG_STRING, &priority, "high, normal (default) or low", "P" },
    { "move", 0, 0, G_OPTION_ARG_NONE, &move, "a move: other copies are deleted once every file is here", NULL },
    { "custodial", 0, 0, G_OPTION_ARG_NONE, &custodial, "the destination keeps the custodial copy", NULL },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "accounting group", "GROUP" },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry, "show files, bytes, sources, hops and ETA; change nothing", NULL },
    { NULL }
  };
  if (!px_cli_parse ("subscribe", "", "Ask for every file of a dataset or block (including files added later) at a "
                     "node.  The node's router turns the subscription into transfers at once.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  const char *prio = "1";
  if (priority && strcmp (priority, "high") == 0)
    prio = "0";
  else if (priority && strcmp (priority, "low") == 0)
    prio = "2";
  else if (priority && strcmp (priority, "normal") != 0)
    {
      px_cli_error ("subscribe", "--priority must be high, normal or low, not '%s'", priority);
      return PX_EXIT_USAGE;
    }
  int status;
  g_autoptr(PxTmdb) db = target_open ("subscribe", &t, argc, &status);
  if (!db)
    return status;
  if (dry)
    return dry_run (db, &t);
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) r = px_tmdb_run (db, t.dataset ? "subscribe_dataset" : "subscribe_block", &e, what (&t), t.node,
                                     prio, move ? "t" : "f", custodial ? "t" : "f", group ? group : "");
  if (!r)
    {
      px_cli_error ("subscribe", "%s", e->message);
      return PX_EXIT_FAILURE;
    }
  if (t.json)
    {
      g_autoptr(GString) o = g_string_new ("{\"subscription\": ");
      g_string_append_printf (o, "%s, \"%s\": ", px_rows_get (r, 0, 0), t.dataset ? "dataset" : "block");
      px_json_append_string (o, what (&t));
      g_string_append (o, ", \"node\": ");
      px_json_append_string (o, t.node);
      g_string_append_printf (o, ", \"files\": %s}\n", px_rows_get (r, 0, 1));
      fputs (o->str, stdout);
    }
  else
    printf ("subscribed %s to %s (%s files; subscription %s)\n", what (&t), t.node, px_rows_get (r, 0, 1),
            px_rows_get (r, 0, 0));
  return PX_EXIT_OK;
}

int
px_cmd_unsubscribe (int argc, char **argv)
{
  g_auto(Target) t = { 0 };
  GOptionEntry entries[] = { TARGET_ENTRIES (t), { NULL } };
  if (!px_cli_parse ("unsubscribe", "", "Drop a subscription: its files not yet delivered are no longer wanted "
                     "(queued transfers are removed, running ones finish).  Replicas already there stay; use "
                     "'phedex delete' to remove them.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  int status;
  g_autoptr(PxTmdb) db = target_open ("unsubscribe", &t, argc, &status);
  if (!db)
    return status;
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) r = px_tmdb_run (db, "sub_unsubscribe", &e, t.node, t.dataset ? t.dataset : "",
                                     t.block ? t.block : "");
  if (!r)
    return px_cli_error ("unsubscribe", "%s", e->message), PX_EXIT_FAILURE;
  if (px_rows_get_int (r, 0, 0) == 0)
    {
      px_cli_error ("unsubscribe", "%s has no subscription to %s", t.node, what (&t));
      return PX_EXIT_FAILURE;
    }
  if (t.json)
    printf ("{\"unsubscribed\":%s,\"requests_dropped\":%s,\"tasks_dropped\":%s}\n", px_rows_get (r, 0, 0),
            px_rows_get (r, 0, 1), px_rows_get (r, 0, 2));
  else
    printf ("unsubscribed %s from %s: %s pending files dropped, %s queued transfers removed\n", t.node, what (&t),
            px_rows_get (r, 0, 1), px_rows_get (r, 0, 2));
  return PX_EXIT_OK;
}

static int
suspend_or_resume (const char *cmd, int argc, char **argv)
{
  gboolean suspend = strcmp (cmd, "suspend") == 0;
  g_auto(Target) t = { 0 };
  g_autofree char *until = NULL;
  GOptionEntry entries[] = {
    TARGET_ENTRIES (t),
    { suspend ? "until" : NULL, 0, 0, G_OPTION_ARG_STRING, &until,
      "resume by itself at this time (e.g. '2026-12-01 08:00', or '+2h', '+30m', '+1d'); default: until resumed",
      "TIME" },
    { NULL }
  };
  if (!px_cli_parse (cmd, "", suspend ? "Stop routing a subscription's files (transfers already queued finish) "
                                        "until a time or until 'phedex resume'."
                                      : "Resume a suspended subscription now.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  g_autofree char *when = NULL;
  if (suspend && until && until[0] == '+')
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (until + 1, &end, 10);
      int mult = end && strcmp (end, "m") == 0 ? 60 : end && strcmp (end, "h") == 0 ? 3600
                 : end && strcmp (end, "d") == 0 ? 86400 : end && (*end == '\0' || strcmp (end, "s") == 0) ? 1 : 0;
      if (n <= 0 || mult == 0)
        {
          px_cli_error (cmd, "--until '%s': write +N with s, m, h or d, or a date and time", until);
          return PX_EXIT_USAGE;
        }
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) at = g_date_time_add_seconds (now, (double) (n * mult));
      when = g_date_time_format_iso8601 (at);
    }
  else
    when = g_strdup (until ? until : "infinity");
  int status;
  g_autoptr(PxTmdb) db = target_open (cmd, &t, argc, &status);
  if (!db)
    return status;
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) r = suspend ? px_tmdb_run (db, "sub_suspend", &e, t.node, t.dataset ? t.dataset : "",
                                               t.block ? t.block : "", when)
                                : px_tmdb_run (db, "sub_resume", &e, t.node, t.dataset ? t.dataset : "",
                                               t.block ? t.block : "");
  if (!r)
    return px_cli_error (cmd, "%s", e->message), PX_EXIT_FAILURE;
  if (px_rows_count (r) == 0)
    {
      px_cli_error (cmd, "%s has no subscription to %s", t.node, what (&t));
      return PX_EXIT_FAILURE;
    }
  if (t.json)
    printf ("{\"subscription\":%s,\"suspended_until\":%s%s%s}\n", px_rows_get (r, 0, 0), suspend ? "\"" : "",
            suspend ? px_rows_get (r, 0, 1) : "null", suspend ? "\"" : "");
  else if (suspend)
    printf ("suspended %s at %s until %s\n", what (&t), t.node, px_rows_get (r, 0, 1));
  else
    printf ("resumed %s at %s\n", what (&t), t.node);
  return PX_EXIT_OK;
}

int
px_cmd_suspend (int argc, char **argv)
{
  return suspend_or_resume ("suspend", argc, argv);
}

int
px_cmd_resume (int argc, char **argv)
{
  return suspend_or_resume ("resume", argc, argv);
}
