/* phedex nodes (and `phedex node list`) — every node with its good
 * replicas, live agents and whether its agents uploaded a storage.xml. */
#include "cli-table.h"


gboolean
px_cli_print_nodes (PxCli *cli, GError **error)
{
  g_autoptr(PxRows) rows = px_tmdb_query0 (cli->db, px_sql_report_nodes, error);
  if (!rows)
    return FALSE;
  g_autoptr(PxTable) t = px_table_new (px_table_nodes_columns);
  px_table_add_rows (t, rows);
  px_table_print (t, cli->json);
  return TRUE;
}

gboolean
px_cmd_nodes (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = {
    PX_CLI_JSON_ENTRY (cli, "JSON output: an array of objects with the columns' keys"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "List the nodes: kind, the files they hold (good replicas) and their bytes, the "
                     "agents alive there (not stopped, heartbeat within the stale-after they registered with) and "
                     "whether the agents uploaded the node's storage.xml.", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return px_cli_usage (cli, error, "unexpected argument '%s'", argv[1]);
  return px_cli_print_nodes (cli, error);
}
