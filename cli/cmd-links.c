/* phedex links [--node N] (and `phedex link list`) — each link with its
 * measured rate, what is queued on it, its recent failures and whether its
 * destination downloads. */
#include "cli-table.h"

gboolean
px_cli_print_links (PxCli *cli, GError **error)
{
  g_autoptr(PxRows) rows = px_tmdb_query (cli->db, px_sql_report_links, error, PX_TEXT (cli->node));
  if (!rows)
    return FALSE;
  g_autoptr(PxTable) t = px_table_new (px_table_links_columns);
  px_table_add_rows (t, rows);
  px_table_print (t, cli->json);
  return TRUE;
}

gboolean
px_cmd_links (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "only links from or to this node"),
    PX_CLI_JSON_ENTRY (cli, "JSON output: an array of objects with the columns' keys"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "List the links: distance, whether active, the rate measured over the last hour "
                     "(bytes done over the time the link's history spans; '-' without history), the tasks queued on "
                     "it now, its errors in the last hour and whether a download agent is alive at its destination.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return px_cli_usage (cli, error, "unexpected argument '%s'", argv[1]);
  return px_cli_print_links (cli, error);
}
