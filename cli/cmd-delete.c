/* phedex delete --node N --dataset D | --block B [--force] — remove the
 * replicas of a dataset or block at a node through its delete agent.
 * Refused, with nothing changed, where it would remove the last good copy
 * of any file, unless --force.  The node's subscription to the same data
 * is dropped too (else the router would fetch it back). */
#include "cli-json.h"

gboolean
px_cmd_delete (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *dataset = NULL, *block = NULL;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node to delete at (required)"),
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "every file of a dataset", "NAME" },
    { "block", 'B', 0, G_OPTION_ARG_STRING, &block, "every file of a block", "NAME" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "delete even files that have no other good copy", NULL },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Delete the replicas of a dataset or block at a node.  The node's delete agent "
                     "removes the files; a file whose only good copy is there is kept unless --force.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || !dataset == !block || argc != 1)
    return px_cli_usage (cli, error, "name --node and exactly one of --dataset or --block");
  const char *node = cli->node;
  PxTmdbParam ds = PX_TEXT (dataset ? dataset : ""), bl = PX_TEXT (block ? block : "");
  /* Exclusive of the node's router while the subscription and requests go. */
  if (!px_tmdb_begin (cli->db, error))
    return FALSE;
  g_autoptr(PxRows) lock = px_tmdb_query (cli->db, px_sql_node_lock, error, PX_INT (cli->node_id));
  if (!lock)
    return FALSE;
  g_autoptr(PxRows) c = px_tmdb_query (cli->db, px_sql_delete_check, error, PX_TEXT (node), ds, bl);
  if (!c)
    return FALSE;
  gint64 total = px_rows_int (c, 0, "replicas"), last = px_rows_int (c, 0, "last_copies");
  const char *covering = px_rows_text (c, 0, "covering_dataset");
  if (total == 0)
    {
      px_tmdb_rollback (cli->db);
      return px_cli_fail (error, "%s has no replicas of %s", node, dataset ? dataset : block);
    }
  if (covering)
    {
      px_tmdb_rollback (cli->db);
      return px_cli_fail (error, "%s is subscribed to dataset %s, which contains %s: unsubscribe or delete the "
                          "dataset (else the router fetches the block back)", node, covering, block);
    }
  if (last > 0 && !force)
    {
      px_tmdb_rollback (cli->db);
      return px_cli_fail (error, "refused: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " files have no other good "
                          "copy than at %s (e.g. %s); nothing was changed.  Subscribe them elsewhere first, or use "
                          "--force to lose them.", last, total, node, px_rows_text (c, 0, "example"));
    }
  g_autoptr(PxRows) d = px_tmdb_query (cli->db, px_sql_delete_request, error, PX_TEXT (node), ds, bl, PX_BOOL (force));
  /* Recorded in the same transaction: no deletion without its audit row. */
  if (!d || !px_cli_audit (cli, "delete", error, "dataset", dataset, "block", block, "force", force ? "yes" : "no", NULL)
      || !px_tmdb_commit (cli->db, error))
    return FALSE;
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", node);
      px_json_int (&j, "deletions", px_rows_int (d, 0, "deletions"));
      px_json_int (&j, "last_copies", last);
      px_json_int (&j, "subscriptions_dropped", px_rows_int (d, 0, "subscriptions"));
      px_json_int (&j, "requests_dropped", px_rows_int (d, 0, "requests"));
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    printf ("queued %s deletions at %s%s%s; the node's delete agent removes the files\n",
            px_rows_text (d, 0, "deletions"), node,
            px_rows_int (d, 0, "subscriptions") ? " (its subscription was dropped)" : "",
            last ? " (forced: some were the last copies)" : "");
  return TRUE;
}
