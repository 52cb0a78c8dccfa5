/* phedex errors [--node N] [--from N] [--since HOURS] [--limit N] — the
 * recent errors per link, grouped by reason, with the latest log. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" },
  { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
  { "reason", "REASON", PX_TABLE_TEXT },
  { "count", "COUNT", PX_TABLE_INT, .sql = "n" },
  { "permanent", "PERMANENT", PX_TABLE_INT },
  { "last", NULL, PX_TABLE_TEXT, PX_TABLE_JSON_ONLY, "last_utc" },
  { "last_local", "LAST", PX_TABLE_TEXT, PX_TABLE_HUMAN_ONLY },
  { "last_log", NULL, PX_TABLE_TEXT, PX_TABLE_BELOW, "log" },
  { NULL }
};

PxTable *
px_cli_errors_table (const PxRows *rows)
{
  PxTable *t = px_table_new (columns);
  px_table_add_rows (t, rows);
  return t;
}

gboolean
px_cmd_errors (PxCli *cli, int argc, char **argv, GError **error)
{
  double since = 24;
  int limit = 0;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "only errors of transfers to this node"),
    PX_CLI_FROM_ENTRY (cli, "only errors of transfers from this node"),
    { "since", 's', 0, G_OPTION_ARG_DOUBLE, &since, "errors of the last HOURS hours (default 24)", "HOURS" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "only the N groups with the latest errors (default all)", "N" },
    PX_CLI_JSON_ENTRY (cli, "JSON output: an array of objects with the columns' keys (last: UTC; last_log: in full)"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Show the recent transfer errors per link, grouped by reason: how many, how many "
                     "permanent (retrying the same copy cannot help), the time of the last one and its log (its "
                     "first line, cut to the terminal's width; in full with --json).", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return px_cli_usage (cli, error, "unexpected argument '%s'", argv[1]);
  if (!(since > 0) || limit < 0)
    return g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "%s must be positive",
                        limit < 0 ? "--limit" : "--since"), FALSE;
  g_autoptr(PxRows) rows = px_tmdb_query (cli->db, px_sql_report_errors, error, PX_TEXT (cli->node),
                                          PX_TEXT (cli->from), PX_DOUBLE (since), limit ? PX_INT (limit) : PX_NULL);
  if (!rows)
    return FALSE;
  g_autoptr(PxTable) t = px_cli_errors_table (rows);
  if (!cli->json && px_table_count (t) == 0)
    {
      char hours[G_ASCII_DTOSTR_BUF_SIZE];
      printf ("no errors in the last %s hours\n", g_ascii_dtostr (hours, sizeof hours, since));
    }
  else
    px_table_print (t, cli->json);
  return TRUE;
}
