/* phedex db init|upgrade|status|grant-reader ROLE */
#include "cli-json.h"
#include <string.h>

gboolean
px_cmd_db (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = { PX_CLI_JSON_ENTRY (cli, "JSON output"), { NULL } };
  if (!px_cli_parse (cli, "init|upgrade|status|grant-reader ROLE",
                     "Create (init), migrate (upgrade) or describe (status) the TMDB schema, or make ROLE a login "
                     "role that may only read it (grant-reader, as the TMDB's owner; for phedex-webmon).",
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc >= 2 && strcmp (argv[1], "grant-reader") == 0)
    {
      if (argc != 3 || !*argv[2])
        return px_cli_usage (cli, error, "say grant-reader ROLE");
      if (!px_tmdb_check_schema (cli->db, error))
        return FALSE;
      g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_webmon_grant_reader, error, PX_TEXT (argv[2]));
      if (!r)
        {
          g_prefix_error (error, "cannot grant reading to '%s': ", argv[2]);
          return FALSE;
        }
      if (cli->json)
        {
          g_auto(PxJson) j;
          px_json_init (&j, PX_JSON_SPACED);
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "role", argv[2]);
          px_json_bool (&j, "read_only", TRUE);
          px_json_end (&j);
          px_json_print (&j);
        }
      else
        printf ("role '%s' may read the TMDB (SELECT only, read-only sessions); give it a password or a pg_hba rule "
                "and use it in phedex-webmon --db\n", argv[2]);
      return TRUE;
    }
  if (argc != 2 || (strcmp (argv[1], "init") && strcmp (argv[1], "upgrade") && strcmp (argv[1], "status")))
    return px_cli_usage (cli, error, "say init, upgrade, status or grant-reader ROLE");
  if (strcmp (argv[1], "status") != 0)
    {
      int from = 0, to = 0;
      if (!px_tmdb_migrate (cli->db, strcmp (argv[1], "upgrade") == 0, &from, &to, error))
        return FALSE;
      if (from == to)
        printf ("schema is at version %d, the latest; nothing to do\n", to);
      else
        printf ("schema migrated from version %d to %d\n", from, to);
      return TRUE;
    }
  int v = 0;
  if (!px_tmdb_schema_version (cli->db, &v, error))
    return FALSE;
  int latest = px_tmdb_schema_latest ();
  /* The counts when the schema is the one this phedex knows. */
  g_autoptr(PxRows) rows = NULL;
  if (v == latest && !(rows = px_tmdb_query0 (cli->db, px_sql_status_counts, error)))
    return FALSE;
  g_auto(GStrv) names = g_strsplit (px_sql_status_counts.columns, ",", -1);
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_int (&j, "version", v);
      px_json_int (&j, "latest", latest);
      for (guint i = 0; rows && names[i]; i++)
        px_json_int (&j, names[i], px_rows_int (rows, 0, names[i]));
      px_json_end (&j);
      px_json_print (&j);
      return TRUE;
    }
  if (v == 0)
    {
      printf ("no phedex schema (this phedex creates version %d with 'phedex db init')\n", latest);
      return TRUE;
    }
  printf ("schema version %d (latest %d)%s\n", v, latest, v < latest ? ": run 'phedex db upgrade'" : "");
  for (guint i = 0; rows && names[i]; i++)
    printf ("  %-14s %s\n", names[i], px_rows_text (rows, 0, names[i]));
  return TRUE;
}
