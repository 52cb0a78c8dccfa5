/* phedex status — subscriptions, transfers by link, errors, agents. */
#include "cli.h"

int
px_cmd_status (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db), { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL }, { NULL }
  };
  if (!px_cli_parse ("status", "", "Show subscriptions (files done of total), tasks per link, recent errors by "
                     "reason and the agents' heartbeats.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("status", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) subs = px_tmdb_exec (tmdb, "status_subscriptions", 0, NULL, &error);
  g_autoptr(PxRows) tasks = subs ? px_tmdb_exec (tmdb, "status_tasks", 0, NULL, &error) : NULL;
  g_autoptr(PxRows) errs = tasks ? px_tmdb_exec (tmdb, "status_errors", 0, NULL, &error) : NULL;
  g_autoptr(PxRows) agents = errs ? px_tmdb_exec (tmdb, "status_agents", 0, NULL, &error) : NULL;
  if (!agents)
    {
      px_cli_error ("status", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  static const char *prio[] = { "high", "normal", "low" };
  g_autoptr(GString) o = g_string_new (NULL);
  if (json)
    {
      g_string_append (o, "{\"subscriptions\": [");
      for (guint i = 0; i < px_rows_count (subs); i++)
        {
          g_string_append (o, i ? ",\n  {\"item\": " : "\n  {\"item\": ");
          px_json_append_string (o, px_rows_get (subs, i, 0));
          g_string_append (o, ", \"node\": ");
          px_json_append_string (o, px_rows_get (subs, i, 1));
          g_string_append_printf (o, ", \"priority\": \"%s\", \"move\": %s, \"files\": %s, \"bytes\": %s, "
                                  "\"files_done\": %s, \"bytes_done\": %s, \"files_in_transfer\": %s, "
                                  "\"files_failing\": %s}",
                                  prio[CLAMP (px_rows_get_int (subs, i, 2), 0, 2)],
                                  px_rows_get_bool (subs, i, 3) ? "true" : "false", px_rows_get (subs, i, 4),
                                  px_rows_get (subs, i, 5), px_rows_get (subs, i, 6), px_rows_get (subs, i, 7),
                                  px_rows_get (subs, i, 8), px_rows_get (subs, i, 9));
        }
      g_string_append (o, "],\n \"tasks\": [");
      for (guint i = 0; i < px_rows_count (tasks); i++)
        g_string_append_printf (o, "%s{\"from\": \"%s\", \"to\": \"%s\", \"state\": \"%s\", \"count\": %s}",
                                i ? ", " : "", px_rows_get (tasks, i, 0), px_rows_get (tasks, i, 1),
                                px_rows_get (tasks, i, 2), px_rows_get (tasks, i, 3));
      g_string_append (o, "],\n \"errors\": [");
      for (guint i = 0; i < px_rows_count (errs); i++)
        {
          g_string_append_printf (o, "%s{\"from\": \"%s\", \"to\": \"%s\", \"reason\": \"%s\", \"count\": %s, \"last_log\": ",
                                  i ? ", " : "", px_rows_get (errs, i, 0), px_rows_get (errs, i, 1),
                                  px_rows_get (errs, i, 2), px_rows_get (errs, i, 3));
          px_json_append_string (o, px_rows_get (errs, i, 5));
          g_string_append (o, "}");
        }
      g_string_append (o, "],\n \"agents\": [");
      for (guint i = 0; i < px_rows_count (agents); i++)
        g_string_append_printf (o, "%s{\"node\": \"%s\", \"agent\": \"%s\", \"host\": \"%s\", \"pid\": %s, "
                                "\"heartbeat_age\": %s, \"stopped\": %s}", i ? ", " : "", px_rows_get (agents, i, 0),
                                px_rows_get (agents, i, 1), px_rows_get (agents, i, 2), px_rows_get (agents, i, 3),
                                px_rows_get (agents, i, 4), px_rows_get_bool (agents, i, 5) ? "true" : "false");
      g_string_append (o, "]}\n");
      fputs (o->str, stdout);
      return PX_EXIT_OK;
    }
  g_string_append_printf (o, "SUBSCRIPTIONS\n%-40s %-20s %-6s %14s %10s %8s %8s\n", "DATASET/BLOCK", "NODE", "PRIO",
                          "FILES DONE", "BYTES DONE", "MOVING", "FAILING");
  for (guint i = 0; i < px_rows_count (subs); i++)
    {
      g_autofree char *files = g_strdup_printf ("%s/%s", px_rows_get (subs, i, 6), px_rows_get (subs, i, 4));
      g_autofree char *bytes = px_cli_bytes (px_rows_get_int (subs, i, 7));
      g_string_append_printf (o, "%-40s %-20s %-6s %14s %10s %8s %8s\n", px_rows_get (subs, i, 0),
                              px_rows_get (subs, i, 1), prio[CLAMP (px_rows_get_int (subs, i, 2), 0, 2)], files,
                              bytes, px_rows_get (subs, i, 8), px_rows_get (subs, i, 9));
    }
  g_string_append_printf (o, "\nTASKS\n%-20s %-20s %-12s %8s\n", "FROM", "TO", "STATE", "COUNT");
  for (guint i = 0; i < px_rows_count (tasks); i++)
    g_string_append_printf (o, "%-20s %-20s %-12s %8s\n", px_rows_get (tasks, i, 0), px_rows_get (tasks, i, 1),
                            px_rows_get (tasks, i, 2), px_rows_get (tasks, i, 3));
  g_string_append_printf (o, "\nERRORS (last day)\n");
  for (guint i = 0; i < px_rows_count (errs); i++)
    g_string_append_printf (o, "%s -> %s: %s x%s, last %s\n    %s\n", px_rows_get (errs, i, 0), px_rows_get (errs, i, 1),
                            px_rows_get (errs, i, 2), px_rows_get (errs, i, 3), px_rows_get (errs, i, 4),
                            px_rows_get (errs, i, 5));
  g_string_append_printf (o, "\nAGENTS\n%-20s %-10s %-20s %8s %s\n", "NODE", "AGENT", "HOST", "PID", "HEARTBEAT");
  for (guint i = 0; i < px_rows_count (agents); i++)
    {
      g_autofree char *hb = g_strdup_printf ("%ss ago", px_rows_get (agents, i, 4));
      g_string_append_printf (o, "%-20s %-10s %-20s %8s %s\n", px_rows_get (agents, i, 0), px_rows_get (agents, i, 1),
                              px_rows_get (agents, i, 2), px_rows_get (agents, i, 3),
                              px_rows_get_bool (agents, i, 5) ? "stopped" : hb);
    }
  fputs (o->str, stdout);
  return PX_EXIT_OK;
}
