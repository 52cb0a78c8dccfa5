/* phedex status — subscriptions with their progress, rate and ETA, tasks by
 * link, errors of the last day, agents. */
#include "cli-table.h"
#include "cli-json.h"

static const PxTableColumn sub_columns[] = {
  { "item", "DATASET/BLOCK", PX_TABLE_TEXT },
  { "node", "NODE", PX_TABLE_TEXT },
  { "priority", "PRIO", PX_TABLE_TEXT },
  { "move", "TYPE", PX_TABLE_BOOL, .sql = "is_move" },
  { "state", "STATE", PX_TABLE_TEXT },
  { "suspended_until", NULL, PX_TABLE_TEXT, PX_TABLE_JSON_ONLY, "suspended_utc" },
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
  { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" },
  { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
  { "state", "STATE", PX_TABLE_TEXT },
  { "count", "COUNT", PX_TABLE_INT, .sql = "tasks" },
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
      px_table_add_row (t, r, i);
      px_table_set_human (t, "move", px_rows_bool (r, i, "is_move") ? "move" : "replica");
      const char *until = px_rows_text (r, i, "suspended_local");
      if (g_strcmp0 (px_rows_text (r, i, "state"), "suspended") == 0 && until)
        {
          g_autofree char *state = g_strdup_printf ("suspended until %s", until);
          px_table_set_human (t, "state", state);
        }
      g_autofree char *files = g_strdup_printf ("%s/%s", px_rows_text (r, i, "files_done"), px_rows_text (r, i, "files"));
      g_autofree char *done = px_cli_bytes (px_rows_int (r, i, "bytes_done"));
      g_autofree char *all = px_cli_bytes (px_rows_int (r, i, "bytes"));
      g_autofree char *bytes = g_strdup_printf ("%s/%s", done, all);
      px_table_set_human (t, "files_done", files);
      px_table_set_human (t, "bytes_done", bytes);
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
      px_table_add_row (t, r, i);
      g_autofree char *age = px_table_seconds (px_rows_int (r, i, "heartbeat_age"));
      g_autofree char *hb = px_rows_bool (r, i, "stopped") ? g_strdup ("stopped") : g_strdup_printf ("%s ago", age);
      px_table_set_human (t, "heartbeat_age", hb);
    }
  return t;
}

gboolean
px_cmd_status (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = {
    PX_CLI_JSON_ENTRY (cli, "JSON output: an object with one array per section"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Show the subscriptions (state: done, complete, suspended or active; files and "
                     "bytes at the node of all; open transfers; files given up or without source or path; rate over "
                     "the last hour and ETA), the tasks per link, the errors of the last day by reason and the "
                     "agents' heartbeats.", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return px_cli_usage (cli, error, "unexpected argument '%s'", argv[1]);
  g_autoptr(PxRows) subs = px_tmdb_query0 (cli->db, px_sql_report_status_subscriptions, error);
  g_autoptr(PxRows) tasks = subs ? px_tmdb_query0 (cli->db, px_sql_report_status_tasks, error) : NULL;
  g_autoptr(PxRows) errs = tasks ? px_tmdb_query (cli->db, px_sql_report_errors, error, PX_NULL, PX_NULL,
                                                  PX_DOUBLE (24), PX_NULL)
                                 : NULL;
  g_autoptr(PxRows) agents = errs ? px_tmdb_query0 (cli->db, px_sql_report_status_agents, error) : NULL;
  if (!agents)
    return FALSE;
  g_autoptr(PxTable) ts = subscriptions_table (subs);
  g_autoptr(PxTable) tt = px_table_new (task_columns);
  px_table_add_rows (tt, tasks);
  g_autoptr(PxTable) te = px_cli_errors_table (errs);
  g_autoptr(PxTable) ta = agents_table (agents);
  const char *names[] = { "subscriptions", "tasks", "errors", "agents" };
  const char *titles[] = { "SUBSCRIPTIONS", "TASKS", "ERRORS (last day)", "AGENTS" };
  const PxTable *tables[] = { ts, tt, te, ta };
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
        px_json_table (&j, names[i], tables[i]);
      px_json_end (&j);
      px_json_print (&j);
      return TRUE;
    }
  g_autoptr(GString) o = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_string_append_printf (o, "%s%s\n", i ? "\n" : "", titles[i]);
      px_table_append_text (tables[i], o);
    }
  fputs (o->str, stdout);
  return TRUE;
}
