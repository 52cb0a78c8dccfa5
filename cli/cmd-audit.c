/* phedex audit [--since T] — the data managers' actions, from the
 * append-only audit table (009-security.sql), and px_cli_audit, the one
 * call each of those commands makes once its action is done. */
#include "cli-json.h"
#include <stdarg.h>

gboolean
px_cli_audit (PxCli *cli, const char *action, GError **error, ...)
{
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_COMPACT);
  px_json_begin_object (&j, NULL);
  if (cli->node)
    px_json_string (&j, "node", cli->node);
  va_list ap;
  va_start (ap, error);
  for (const char *key; (key = va_arg (ap, const char *));)
    {
      const char *value = va_arg (ap, const char *);
      if (value)
        px_json_string (&j, key, value);
    }
  va_end (ap);
  px_json_end (&j);
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_audit_add, error, PX_TEXT (action), PX_TEXT (j.out->str));
  if (!r)
    {
      g_prefix_error (error, "cannot record '%s' in the audit log: ", action);
      return FALSE;
    }
  return TRUE;
}

gboolean
px_cmd_audit (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *since = NULL;
  GOptionEntry entries[] = {
    { "since", 's', 0, G_OPTION_ARG_STRING, &since, "only actions at or after this time (a PostgreSQL timestamp: "
      "'2026-11-27 10:00', 'today', 'yesterday')", "TIME" },
    PX_CLI_JSON_ENTRY (cli, "JSON output: one object per action, args as recorded"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "List data-manager actions (inject, subscribe, unsubscribe, suspend, resume, delete, "
                     "policy, node and link changes, block and dataset close, hand-off, unmerged holds) with the "
                     "role that did them, when and with which arguments, oldest first.", entries, &argc, &argv, error))
    return FALSE;
  if (argc != 1)
    return px_cli_usage (cli, error, "no arguments expected");
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_audit_list, error, PX_TEXT (since));
  if (!r)
    {
      g_prefix_error (error, "cannot read the audit log%s%s%s: ", since ? " since '" : "", since ? since : "",
                      since ? "'" : "");
      return FALSE;
    }
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_array (&j, NULL);
      for (guint i = 0; i < px_rows_count (r); i++)
        {
          px_json_begin_object (&j, NULL);
          px_json_int (&j, "id", px_rows_int (r, i, "id"));
          px_json_string (&j, "at", px_rows_text (r, i, "at"));
          px_json_string (&j, "role", px_rows_text (r, i, "role"));
          px_json_string (&j, "action", px_rows_text (r, i, "action"));
          px_json_member (&j, "args");
          g_string_append (j.out, px_rows_text (r, i, "args"));
          px_json_end (&j);
        }
      px_json_end (&j);
      px_json_print (&j);
      return TRUE;
    }
  if (px_rows_count (r) == 0)
    {
      printf ("no audited actions%s%s\n", since ? " since " : "", since ? since : "");
      return TRUE;
    }
  for (guint i = 0; i < px_rows_count (r); i++)
    printf ("%s  %-16s %-12s %s\n", px_rows_text (r, i, "at"), px_rows_text (r, i, "role"),
            px_rows_text (r, i, "action"), px_rows_text (r, i, "args"));
  return TRUE;
}
