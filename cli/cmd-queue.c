/* phedex queue [--node N] [--from N] — the open tasks per link and priority. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "from", "FROM", PX_TABLE_TEXT },
  { "to", "TO", PX_TABLE_TEXT },
  { "priority", "PRIO", PX_TABLE_TEXT },
  { "queued_files", "QUEUED", PX_TABLE_INT },
  { "queued_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "active_files", "ACTIVE", PX_TABLE_INT },
  { "active_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "verifying_files", "VERIFYING", PX_TABLE_INT },
  { "verifying_bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "oldest_queued", "OLDEST QUEUED", PX_TABLE_SECONDS },
  { NULL }
};

int
px_cmd_queue (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *from = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "only links into this node", "NODE" },
    { "from", 'f', 0, G_OPTION_ARG_STRING, &from, "only links out of this node", "NODE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output: an array of objects with the columns' keys", NULL },
    { NULL }
  };
  if (!px_cli_parse ("queue", "", "Show the transfers in the queue per link and priority: queued, active, and "
                     "copied but not yet verified and published (files, bytes), and how long the oldest queued one "
                     "has waited.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc > 1)
    {
      px_cli_error ("queue", "unexpected argument '%s'\nTry 'phedex queue -h' for usage.", argv[1]);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("queue", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  if (!px_cli_known_node ("queue", tmdb, node) || !px_cli_known_node ("queue", tmdb, from))
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) rows = px_tmdb_run (tmdb, "report_queue", &error, node, from);
  if (!rows)
    {
      px_cli_error ("queue", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  /* People see "3 (1.2 MB)" where JSON has files and bytes apart. */
  g_autoptr(PxTable) t = px_table_new (columns);
  for (guint i = 0; i < px_rows_count (rows); i++)
    {
      px_table_row (t);
      for (guint c = 0; c < 3; c++)
        px_table_add (t, px_rows_get (rows, i, c));
      for (guint c = 3; c < 9; c += 2)
        {
          g_autofree char *b = px_cli_bytes (px_rows_get_int (rows, i, c + 1));
          g_autofree char *h = px_rows_get_int (rows, i, c) ? g_strdup_printf ("%s (%s)", px_rows_get (rows, i, c), b)
                                                            : g_strdup ("0");
          px_table_add_human (t, px_rows_get (rows, i, c), h);
          px_table_add (t, px_rows_get (rows, i, c + 1));
        }
      px_table_add (t, px_rows_get (rows, i, 9));
    }
  px_table_print (t, json);
  return PX_EXIT_OK;
}
