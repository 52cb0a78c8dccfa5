/* phedex nodes — every node with its good replicas, live agents and whether
 * its agents uploaded a storage.xml. */
#include "cli-table.h"

gboolean
px_cli_known_node (const char *cmd, PxTmdb *tmdb, const char *node)
{
  if (!node)
    return TRUE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) r = px_tmdb_run (tmdb, "node_id", &error, node);
  if (!r)
    px_cli_error (cmd, "%s", error->message);
  else if (px_rows_count (r) == 0)
    px_cli_error (cmd, "unknown node '%s' (see 'phedex nodes')", node);
  return r && px_rows_count (r) > 0;
}

static const PxTableColumn columns[] = {
  { "name", "NODE", PX_TABLE_TEXT },
  { "kind", "KIND", PX_TABLE_TEXT },
  { "files", "FILES", PX_TABLE_INT },
  { "bytes", "BYTES", PX_TABLE_BYTES },
  { "agents", "AGENTS ALIVE", PX_TABLE_LIST },
  { "storage_xml", "STORAGE.XML", PX_TABLE_BOOL },
  { NULL }
};

int
px_cmd_nodes (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output: an array of objects with the columns' keys", NULL },
    { NULL }
  };
  if (!px_cli_parse ("nodes", "", "List the nodes: kind, the files they hold (good replicas) and their bytes, the "
                     "agents alive there (heartbeat within 2 minutes) and whether the agents uploaded the node's "
                     "storage.xml.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc > 1)
    {
      px_cli_error ("nodes", "unexpected argument '%s'\nTry 'phedex nodes -h' for usage.", argv[1]);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("nodes", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) rows = px_tmdb_exec (tmdb, "report_nodes", 0, NULL, &error);
  if (!rows)
    {
      px_cli_error ("nodes", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxTable) t = px_table_new (columns);
  px_table_add_rows (t, rows);
  px_table_print (t, json);
  return PX_EXIT_OK;
}
