/* phedex delete --node N --dataset D | --block B [--force] — remove the
 * replicas of a dataset or block at a node through its delete agent.
 * Refused, with nothing changed, where it would remove the last good copy
 * of any file, unless --force.  The node's subscription to the same data
 * is dropped too (else the router would fetch it back). */
#include "cli.h"

int
px_cmd_delete (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *dataset = NULL, *block = NULL;
  gboolean force = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the node to delete at (required)", "NODE" },
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "every file of a dataset", "NAME" },
    { "block", 'B', 0, G_OPTION_ARG_STRING, &block, "every file of a block", "NAME" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "delete even files that have no other good copy", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  if (!px_cli_parse ("delete", "", "Delete the replicas of a dataset or block at a node.  The node's delete agent "
                     "removes the files; a file whose only good copy is there is kept unless --force.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!node || !dataset == !block || argc != 1)
    {
      px_cli_error ("delete", "name --node and exactly one of --dataset or --block\nTry 'phedex delete -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("delete", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) n = px_tmdb_run (tmdb, "node_id", &e, node);
  if (!n)
    return px_cli_error ("delete", "%s", e->message), PX_EXIT_FAILURE;
  if (px_rows_count (n) == 0)
    return px_cli_error ("delete", "unknown node '%s' (see 'phedex nodes')", node), PX_EXIT_FAILURE;
  const char *ds = dataset ? dataset : "", *bl = block ? block : "";
  if (!px_tmdb_begin (tmdb, &e))
    return px_cli_error ("delete", "%s", e->message), PX_EXIT_FAILURE;
  g_autoptr(PxRows) c = px_tmdb_run (tmdb, "delete_check", &e, node, ds, bl);
  if (!c)
    return px_cli_error ("delete", "%s", e->message), PX_EXIT_FAILURE;
  gint64 total = px_rows_get_int (c, 0, 0), last = px_rows_get_int (c, 0, 1);
  if (total == 0)
    {
      px_tmdb_rollback (tmdb);
      px_cli_error ("delete", "%s has no replicas of %s", node, dataset ? dataset : block);
      return PX_EXIT_FAILURE;
    }
  if (px_rows_get (c, 0, 3))
    {
      px_tmdb_rollback (tmdb);
      px_cli_error ("delete", "%s is subscribed to dataset %s, which contains %s: unsubscribe or delete the dataset "
                    "(else the router fetches the block back)", node, px_rows_get (c, 0, 3), block);
      return PX_EXIT_FAILURE;
    }
  if (last > 0 && !force)
    {
      px_tmdb_rollback (tmdb);
      px_cli_error ("delete", "refused: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " files have no other good copy "
                    "than at %s (e.g. %s); nothing was changed.  Subscribe them elsewhere first, or use --force to "
                    "lose them.", last, total, node, px_rows_get (c, 0, 2));
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxRows) d = px_tmdb_run (tmdb, "delete_request", &e, node, ds, bl, force ? "t" : "f");
  if (!d || !px_tmdb_commit (tmdb, &e))
    return px_cli_error ("delete", "%s", e->message), PX_EXIT_FAILURE;
  if (json)
    printf ("{\"node\":\"%s\",\"deletions\":%s,\"last_copies\":%" G_GINT64_FORMAT ",\"subscriptions_dropped\":%s,"
            "\"requests_dropped\":%s}\n", node, px_rows_get (d, 0, 0), last, px_rows_get (d, 0, 1),
            px_rows_get (d, 0, 2));
  else
    printf ("queued %s deletions at %s%s%s; the node's delete agent removes the files\n", px_rows_get (d, 0, 0), node,
            px_rows_get_int (d, 0, 1) ? " (its subscription was dropped)" : "",
            last ? " (forced: some were the last copies)" : "");
  return PX_EXIT_OK;
}
