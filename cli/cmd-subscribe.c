/* phedex subscribe | unsubscribe | suspend | resume — a data manager's
 * subscriptions: what should be where.  Each names --node and one of
 * --dataset or --block.  The node's router acts on a change at once (the
 * subscriptions table notifies it). */
#include "cli-json.h"
#include "routing/route.h"
#include <math.h>
#include <string.h>

typedef struct
{
  char *dataset, *block;
} Target;

static void
target_clear (Target *t)
{
  g_free (t->dataset);
  g_free (t->block);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)

#define TARGET_ENTRIES(cli, t) \
  PX_CLI_NODE_ENTRY (cli, "the destination node (required)"), \
  { "dataset", 'D', 0, G_OPTION_ARG_STRING, &(t).dataset, "a dataset, with every block (also ones added later)", "NAME" }, \
  { "block", 'B', 0, G_OPTION_ARG_STRING, &(t).block, "a single block (DATASET#ID)", "NAME" }, \
  PX_CLI_JSON_ENTRY (cli, "JSON output")

/* The command line names --node and a dataset or block that exists. */
static gboolean
target_check (PxCli *cli, const Target *t, int argc, GError **error)
{
  if (!cli->node || !t->dataset == !t->block || argc != 1)
    return px_cli_usage (cli, error, "name --node and exactly one of --dataset or --block");
  g_autoptr(PxRows) d = t->dataset ? px_tmdb_query (cli->db, px_sql_dataset_id, error, PX_TEXT (t->dataset))
                                   : px_tmdb_query (cli->db, px_sql_block_id, error, PX_TEXT (t->block));
  if (!d)
    return FALSE;
  if (px_rows_count (d) == 0)
    return px_cli_fail (error, "unknown %s '%s' (inject it first; see 'phedex replicas')",
                        t->dataset ? "dataset" : "block", t->dataset ? t->dataset : t->block);
  return TRUE;
}

static const char *
what (const Target *t)
{
  return t->dataset ? t->dataset : t->block;
}

/* The dataset and block parameters: the one named, '' for the other. */
#define TARGET_PARAMS(t) PX_TEXT ((t)->dataset ? (t)->dataset : ""), PX_TEXT ((t)->block ? (t)->block : "")

/* Print the route the router would take for each group of files now. */
static gboolean
dry_run (PxCli *cli, const Target *t, GError **error)
{
  int dest = (int) cli->node_id;
  PxRoutes r = { 0 };
  if (!px_routes_compute (cli->db, dest, &r, error))
    return FALSE;
  PxRouteArrays ra;
  px_route_arrays_init (&ra, &r, dest);
  px_routes_clear (&r);
  g_autoptr(PxRows) g = px_tmdb_query (cli->db, px_sql_dryrun, error, PX_INT (dest), TARGET_PARAMS (t),
                                       PX_ARRAY (ra.nodes), PX_ARRAY (ra.costs), PX_ARRAY (ra.paths),
                                       PX_ARRAY (ra.rates), PX_ARRAY (ra.latencies));
  px_route_arrays_clear (&ra);
  if (!g)
    return FALSE;
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_object (&j, NULL);
  px_json_bool (&j, "dry_run", TRUE);
  px_json_string (&j, "node", cli->node);
  px_json_begin_array (&j, "routes");
  gint64 files = 0, bytes = 0;
  double eta = 0;
  gboolean unroutable = FALSE;
  for (guint i = 0; i < px_rows_count (g); i++)
    {
      const char *path = px_rows_text (g, i, "path");
      gint64 nf = px_rows_int (g, i, "files"), nb = px_rows_int (g, i, "bytes");
      double rate = path ? px_rows_double (g, i, "rate") : 0;
      double lat = path ? px_rows_double (g, i, "latency") : 0;
      double secs = path && rate > 0 ? lat + nb / rate : -1;
      files += nf, bytes += nb;
      eta = secs < 0 ? eta : MAX (eta, secs);
      unroutable |= !path;
      if (cli->json)
        {
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "path", path);
          px_json_int (&j, "files", nf);
          px_json_int (&j, "bytes", nb);
          if (secs >= 0)
            px_json_fixed (&j, "eta_seconds", secs, 0);
          else
            {
              px_json_null (&j, "eta_seconds");
              px_json_int (&j, "no_source", px_rows_int (g, i, "no_source"));
            }
          px_json_end (&j);
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
                size, px_rows_text (g, i, "no_source"));
    }
  if (cli->json)
    {
      px_json_end (&j);
      px_json_int (&j, "files", files);
      px_json_int (&j, "bytes", bytes);
      px_json_fixed (&j, "eta_seconds", eta, 0);
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    {
      g_autofree char *size = px_cli_bytes (bytes);
      printf ("dry run: subscribing %s to %s would move %" G_GINT64_FORMAT " files, %s; ETA about %.0f s at current "
              "link rates%s. Nothing was changed.\n", what (t), cli->node, files, size, eta,
              unroutable ? " (for the routable part)" : "");
    }
  return TRUE;
}

gboolean
px_cmd_subscribe (PxCli *cli, int argc, char **argv, GError **error)
{
  g_auto(Target) t = { 0 };
  g_autofree char *priority = NULL, *group = NULL;
  gboolean move = FALSE, custodial = FALSE, dry = FALSE;
  GOptionEntry entries[] = {
    TARGET_ENTRIES (cli, t),
    { "priority", 'p', 0, G_OPTION_ARG_STRING, &priority, "high, normal (default) or low", "P" },
    { "move", 0, 0, G_OPTION_ARG_NONE, &move, "a move: other copies are deleted once every file is here", NULL },
    { "custodial", 0, 0, G_OPTION_ARG_NONE, &custodial, "the destination keeps the custodial copy", NULL },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "accounting group", "GROUP" },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry, "show files, bytes, sources, hops and ETA; change nothing", NULL },
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Ask for every file of a dataset or block (including files added later) at a "
                     "node.  The node's router turns the subscription into transfers at once.", entries, &argc, &argv,
                     error))
    return FALSE;
  int prio = 1;
  if (priority && strcmp (priority, "high") == 0)
    prio = 0;
  else if (priority && strcmp (priority, "low") == 0)
    prio = 2;
  else if (priority && strcmp (priority, "normal") != 0)
    return g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "--priority must be high, normal or low, not '%s'",
                        priority), FALSE;
  if (!target_check (cli, &t, argc, error))
    return FALSE;
  if (dry)
    return dry_run (cli, &t, error);
  const PxTmdbParam params[] = { PX_TEXT (what (&t)), PX_TEXT (cli->node), PX_INT (prio), PX_BOOL (move),
                                  PX_BOOL (custodial), PX_TEXT (group ? group : "") };
  g_autoptr(PxRows) r = px_tmdb_query_params (cli->db, t.dataset ? &px_sql_subscribe_dataset : &px_sql_subscribe_block,
                                              G_N_ELEMENTS (params), params, error);
  if (!r || !px_cli_audit (cli, "subscribe", error, t.dataset ? "dataset" : "block", what (&t), "priority",
                           priority ? priority : "normal", "move", move ? "yes" : "no", "custodial",
                           custodial ? "yes" : "no", "group", group, NULL))
    return FALSE;
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "subscription", px_rows_int (r, 0, "id"));
      px_json_string (&j, t.dataset ? "dataset" : "block", what (&t));
      px_json_string (&j, "node", cli->node);
      px_json_int (&j, "files", px_rows_int (r, 0, "files"));
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    printf ("subscribed %s to %s (%s files; subscription %s)\n", what (&t), cli->node, px_rows_text (r, 0, "files"),
            px_rows_text (r, 0, "id"));
  return TRUE;
}

gboolean
px_cmd_unsubscribe (PxCli *cli, int argc, char **argv, GError **error)
{
  g_auto(Target) t = { 0 };
  GOptionEntry entries[] = { TARGET_ENTRIES (cli, t), { NULL } };
  if (!px_cli_parse (cli, "", "Drop a subscription: its files not yet delivered are no longer wanted "
                     "(queued transfers are removed, running ones finish).  Replicas already there stay; use "
                     "'phedex delete' to remove them.", entries, &argc, &argv, error))
    return FALSE;
  if (!target_check (cli, &t, argc, error))
    return FALSE;
  /* Exclusive of the node's router (node_lock): a router cycle expanding
   * this subscription right now commits first, and its new requests are
   * dropped with the others instead of surviving the subscription. */
  if (!px_tmdb_begin (cli->db, error))
    return FALSE;
  g_autoptr(PxRows) lock = px_tmdb_query (cli->db, px_sql_node_lock, error, PX_INT (cli->node_id));
  g_autoptr(PxRows) r = lock ? px_tmdb_query (cli->db, px_sql_sub_unsubscribe, error, PX_TEXT (cli->node),
                                              TARGET_PARAMS (&t))
                             : NULL;
  if (!r || !px_tmdb_commit (cli->db, error))
    {
      px_tmdb_rollback (cli->db);
      return FALSE;
    }
  if (px_rows_int (r, 0, "subscriptions") == 0)
    return px_cli_fail (error, "%s has no subscription to %s", cli->node, what (&t));
  if (!px_cli_audit (cli, "unsubscribe", error, t.dataset ? "dataset" : "block", what (&t), NULL))
    return FALSE;
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "unsubscribed", px_rows_int (r, 0, "subscriptions"));
      px_json_int (&j, "requests_dropped", px_rows_int (r, 0, "requests"));
      px_json_int (&j, "tasks_dropped", px_rows_int (r, 0, "tasks"));
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    printf ("unsubscribed %s from %s: %s pending files dropped, %s queued transfers removed\n", cli->node, what (&t),
            px_rows_text (r, 0, "requests"), px_rows_text (r, 0, "tasks"));
  return TRUE;
}

static gboolean
suspend_or_resume (PxCli *cli, int argc, char **argv, GError **error)
{
  const char *cmd = cli->command->name;
  gboolean suspend = strcmp (cmd, "suspend") == 0;
  g_auto(Target) t = { 0 };
  g_autofree char *until = NULL;
  GOptionEntry entries[] = {
    TARGET_ENTRIES (cli, t),
    { suspend ? "until" : NULL, 0, 0, G_OPTION_ARG_STRING, &until,
      "resume by itself at this time (e.g. '2026-12-01 08:00', or '+2h', '+30m', '+1d'); default: until resumed",
      "TIME" },
    { NULL }
  };
  if (!px_cli_parse (cli, "", suspend ? "Stop routing a subscription's files (transfers already queued finish) "
                                        "until a time or until 'phedex resume'."
                                      : "Resume a suspended subscription now.",
                     entries, &argc, &argv, error))
    return FALSE;
  g_autofree char *when = NULL;
  if (suspend && until && until[0] == '+')
    {
      char *end = NULL;
      gint64 n = g_ascii_strtoll (until + 1, &end, 10);
      int mult = end && strcmp (end, "m") == 0 ? 60 : end && strcmp (end, "h") == 0 ? 3600
                 : end && strcmp (end, "d") == 0 ? 86400 : end && (*end == '\0' || strcmp (end, "s") == 0) ? 1 : 0;
      if (n <= 0 || mult == 0)
        return g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE,
                            "--until '%s': write +N with s, m, h or d, or a date and time", until), FALSE;
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) at = g_date_time_add_seconds (now, (double) (n * mult));
      when = g_date_time_format_iso8601 (at);
    }
  else
    when = g_strdup (until ? until : "infinity");
  if (!target_check (cli, &t, argc, error))
    return FALSE;
  g_autoptr(PxRows) r = suspend ? px_tmdb_query (cli->db, px_sql_sub_suspend, error, PX_TEXT (cli->node),
                                                 TARGET_PARAMS (&t), PX_TEXT (when))
                                : px_tmdb_query (cli->db, px_sql_sub_resume, error, PX_TEXT (cli->node),
                                                 TARGET_PARAMS (&t));
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return px_cli_fail (error, "%s has no subscription to %s", cli->node, what (&t));
  if (!px_cli_audit (cli, cmd, error, t.dataset ? "dataset" : "block", what (&t), "until", suspend ? when : NULL, NULL))
    return FALSE;
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "subscription", px_rows_int (r, 0, "id"));
      px_json_string (&j, "suspended_until", suspend ? px_rows_text (r, 0, "suspended_until") : NULL);
      px_json_end (&j);
      px_json_print (&j);
    }
  else if (suspend)
    printf ("suspended %s at %s until %s\n", what (&t), cli->node, px_rows_text (r, 0, "suspended_until"));
  else
    printf ("resumed %s at %s\n", what (&t), cli->node);
  return TRUE;
}

gboolean
px_cmd_suspend (PxCli *cli, int argc, char **argv, GError **error)
{
  return suspend_or_resume (cli, argc, argv, error);
}

gboolean
px_cmd_resume (PxCli *cli, int argc, char **argv, GError **error)
{
  return suspend_or_resume (cli, argc, argv, error);
}
