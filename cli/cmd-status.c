/* phedex status — subscriptions with their progress, rate and ETA, tasks by
 * link, errors of the last day, agents. */
#include "cli-table.h"

static const PxTableColumn sub_columns[] = {
  { "item", "DATASET/BLOCK", PX_TABLE_TEXT },
  { "node", "NODE", PX_TABLE_TEXT },
  { "priority", "PRIO", PX_TABLE_TEXT },
  { "move", "TYPE", PX_TABLE_BOOL },
  { "state", "STATE", PX_TABLE_TEXT },
  { "suspended_until", NULL, PX_TABLE_TEXT, PX_TABLE_JSON_ONLY },
  { "files_done", "FILES", PX_TABLE_INT },
  { "files", NULL, PX_TABLE_INT, PX_TABLE_JSON_ONLY },
  { "bytes_done", "BYTES", PX_TABLE_BYTES },
  { "bytes", NULL, PX_TABLE_BYTES, PX_TABLE_JSON_ONLY },
  { "queued", "QUEUED", PX_TABLE_INT },
  { "failed", "FAILED", PX_TABLE_INT },
  { "rate", "RATE (1H)", PX_TABLE_RATE },
  { "eta", "ETA", PX_TABLE_SECONDS },
  { NULL }
};

static const PxTableColumn task_columns[] = {
  { "from", "FROM", PX_TABLE_TEXT },
  { "to", "TO", PX_TABLE_TEXT },
  { "state", "STATE", PX_TABLE_TEXT },
  { "count", "COUNT", PX_TABLE_INT },
  { NULL }
};

static const PxTableColumn agent_columns[] = {
  { "node", "NODE", PX_TABLE_TEXT },
  { "agent", "AGENT", PX_TABLE_TEXT },
  { "host", "HOST", PX_TABLE_TEXT },
  { "pid", "PID", PX_TABLE_INT },
  { "heartbeat_age", "HEARTBEAT", PX_TABLE_SECONDS, PX_TABLE_LEFT },
  { "stopped", NULL, PX_TABLE_BOOL, PX_TABLE_JSON_ONLY },
  { NULL }
};

/* report_status_subscriptions: people see "2/6", "1.0 MB/3.1 MB", "move" or
 * "replica" and "suspended until T" where JSON has the parts. */
static PxTable *
subscriptions_table (const PxRows *r)
{
  PxTable *t = px_table_new (sub_columns);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      px_table_row (t);
      for (guint c = 0; c < 3; c++)
        px_table_add (t, px_rows_get (r, i, c));
      px_table_add_human (t, px_rows_get (r, i, 3), px_rows_get_bool (r, i, 3) ? "move" : "replica");
      const char *state = px_rows_get (r, i, 4), *until = px_rows_get (r, i, 6);
      g_autofree char *state_h = g_strcmp0 (state, "suspended") == 0 && until
                                     ? g_strdup_printf ("suspended until %s", until) : NULL;
      px_table_add_human (t, state, state_h);
      px_table_add (t, px_rows_get (r, i, 5));
      g_autofree char *files_h = g_strdup_printf ("%s/%s", px_rows_get (r, i, 7), px_rows_get (r, i, 8));
      g_autofree char *done = px_cli_bytes (px_rows_get_int (r, i, 9)), *all = px_cli_bytes (px_rows_get_int (r, i, 10));
      g_autofree char *bytes_h = g_strdup_printf ("%s/%s", done, all);
      px_table_add_human (t, px_rows_get (r, i, 7), files_h);
      px_table_add (t, px_rows_get (r, i, 8));
      px_table_add_human (t, px_rows_get (r, i, 9), bytes_h);
      for (guint c = 10; c < 15; c++)
        px_table_add (t, px_rows_get (r, i, c));
    }
  return t;
}

/* report_status_agents: "5s ago", or "stopped". */
static PxTable *
agents_table (const PxRows *r)
{
  PxTable *t = px_table_new (agent_columns);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      px_table_row (t);
      for (guint c = 0; c < 4; c++)
        px_table_add (t, px_rows_get (r, i, c));
      g_autofree char *age = px_table_seconds (px_rows_get_int (r, i, 4));
      g_autofree char *hb = px_rows_get_bool (r, i, 5) ? g_strdup ("stopped") : g_strdup_printf ("%s ago", age);
      px_table_add_human (t, px_rows_get (r, i, 4), hb);
      px_table_add (t, px_rows_get (r, i, 5));
    }
  return t;
}

int
px_cmd_status (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output: an object with one array per section", NULL },
    { NULL }
  };
  if (!px_cli_parse ("status", "", "Show the subscriptions (state: done, complete, suspended or active; files and "
                     "bytes at the node of all; open transfers; files given up or without source or path; rate over "
                     "the last hour and ETA), the tasks per link, the errors of the last day by reason and the "
                     "agents' heartbeats.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc > 1)
    {
      px_cli_error ("status", "unexpected argument '%s'\nTry 'phedex status -h' for usage.", argv[1]);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("status", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) subs = px_tmdb_exec (tmdb, "report_status_subscriptions", 0, NULL, &error);
  g_autoptr(PxRows) tasks = subs ? px_tmdb_exec (tmdb, "report_status_tasks", 0, NULL, &error) : NULL;
  g_autoptr(PxRows) errs = tasks ? px_tmdb_run (tmdb, "report_errors", &error, NULL, NULL, "24", NULL) : NULL;
  g_autoptr(PxRows) agents = errs ? px_tmdb_exec (tmdb, "report_status_agents", 0, NULL, &error) : NULL;
  if (!agents)
    {
      px_cli_error ("status", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxTable) ts = subscriptions_table (subs);
  g_autoptr(PxTable) tt = px_table_new (task_columns);
  px_table_add_rows (tt, tasks);
  g_autoptr(PxTable) te = px_cli_errors_table (errs);
  g_autoptr(PxTable) ta = agents_table (agents);
  const char *names[] = { "subscriptions", "tasks", "errors", "agents" };
  const char *titles[] = { "SUBSCRIPTIONS", "TASKS", "ERRORS (last day)", "AGENTS" };
  const PxTable *tables[] = { ts, tt, te, ta };
  g_autoptr(GString) o = g_string_new (json ? "{" : NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    if (json)
      {
        g_string_append (o, i ? ",\n " : "");
        px_json_append_string (o, names[i]);
        g_string_append (o, ": ");
        px_table_append_json (tables[i], o);
      }
    else
      {
        g_string_append_printf (o, "%s%s\n", i ? "\n" : "", titles[i]);
        px_table_append_text (tables[i], o);
      }
  g_string_append (o, json ? "}\n" : "");
  fputs (o->str, stdout);
  return PX_EXIT_OK;
}
