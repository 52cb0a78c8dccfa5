/* phedex errors [--node N] [--from N] [--since HOURS] [--limit N] — the
 * recent errors per link, grouped by reason, with the latest log. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "from", "FROM", PX_TABLE_TEXT },
  { "to", "TO", PX_TABLE_TEXT },
  { "reason", "REASON", PX_TABLE_TEXT },
  { "count", "COUNT", PX_TABLE_INT },
  { "permanent", "PERMANENT", PX_TABLE_INT },
  { "last", NULL, PX_TABLE_TEXT, PX_TABLE_JSON_ONLY },
  { "last_local", "LAST", PX_TABLE_TEXT, PX_TABLE_HUMAN_ONLY },
  { "last_log", NULL, PX_TABLE_TEXT, PX_TABLE_BELOW },
  { NULL }
};

PxTable *
px_cli_errors_table (const PxRows *rows)
{
  PxTable *t = px_table_new (columns);
  px_table_add_rows (t, rows);
  return t;
}

int
px_cmd_errors (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *from = NULL;
  gboolean json = FALSE;
  double since = 24;
  int limit = 0;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "only errors of transfers to this node", "NODE" },
    { "from", 'f', 0, G_OPTION_ARG_STRING, &from, "only errors of transfers from this node", "NODE" },
    { "since", 's', 0, G_OPTION_ARG_DOUBLE, &since, "errors of the last HOURS hours (default 24)", "HOURS" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "only the N groups with the latest errors (default all)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output: an array of objects with the columns' keys (last: UTC; "
      "last_log: in full)", NULL },
    { NULL }
  };
  if (!px_cli_parse ("errors", "", "Show the recent transfer errors per link, grouped by reason: how many, how many "
                     "permanent (retrying the same copy cannot help), the time of the last one and its log (its "
                     "first line, cut to the terminal's width; in full with --json).", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc > 1)
    {
      px_cli_error ("errors", "unexpected argument '%s'\nTry 'phedex errors -h' for usage.", argv[1]);
      return PX_EXIT_USAGE;
    }
  if (!(since > 0) || limit < 0)
    {
      px_cli_error ("errors", "%s must be positive", limit < 0 ? "--limit" : "--since");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("errors", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  if (!px_cli_known_node ("errors", tmdb, node) || !px_cli_known_node ("errors", tmdb, from))
    return PX_EXIT_FAILURE;
  char hours[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (hours, sizeof hours, since);
  g_autofree char *lim = limit ? g_strdup_printf ("%d", limit) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) rows = px_tmdb_run (tmdb, "report_errors", &error, node, from, hours, lim);
  if (!rows)
    {
      px_cli_error ("errors", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxTable) t = px_cli_errors_table (rows);
  if (!json && px_table_count (t) == 0)
    printf ("no errors in the last %s hours\n", hours);
  else
    px_table_print (t, json);
  return PX_EXIT_OK;
}
