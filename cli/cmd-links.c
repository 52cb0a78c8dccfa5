/* phedex links [--node N] — each link with its measured rate, what is queued
 * on it, its recent failures and whether its destination downloads. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "from", "FROM", PX_TABLE_TEXT },
  { "to", "TO", PX_TABLE_TEXT },
  { "distance", "DIST", PX_TABLE_INT },
  { "active", "ACTIVE", PX_TABLE_BOOL },
  { "rate", "RATE (1H)", PX_TABLE_RATE },
  { "queued_files", "QUEUED", PX_TABLE_INT },
  { "queued_bytes", "QUEUED BYTES", PX_TABLE_BYTES },
  { "failures", "FAILED (1H)", PX_TABLE_INT },
  { "download_alive", "DOWNLOAD", PX_TABLE_BOOL },
  { NULL }
};

int
px_cmd_links (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "only links from or to this node", "NODE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output: an array of objects with the columns' keys", NULL },
    { NULL }
  };
  if (!px_cli_parse ("links", "", "List the links: distance, whether active, the rate measured over the last hour "
                     "(bytes done over the time the link's history spans; '-' without history), the tasks queued on "
                     "it now, its errors in the last hour and whether a download agent is alive at its destination.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc > 1)
    {
      px_cli_error ("links", "unexpected argument '%s'\nTry 'phedex links -h' for usage.", argv[1]);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("links", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  if (!px_cli_known_node ("links", tmdb, node))
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) rows = px_tmdb_run (tmdb, "report_links", &error, node);
  if (!rows)
    {
      px_cli_error ("links", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxTable) t = px_table_new (columns);
  px_table_add_rows (t, rows);
  px_table_print (t, json);
  return PX_EXIT_OK;
}
