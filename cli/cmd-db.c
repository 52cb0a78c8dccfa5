/* phedex db init|upgrade|status */
#include "cli.h"
#include <string.h>

int
px_cmd_db (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = { PX_CLI_DB_ENTRY (db), { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL }, { NULL } };
  if (!px_cli_parse ("db", "init|upgrade|status",
                     "Create (init), migrate (upgrade) or describe (status) the TMDB schema.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc != 2 || (strcmp (argv[1], "init") && strcmp (argv[1], "upgrade") && strcmp (argv[1], "status")))
    {
      px_cli_error ("db", "say init, upgrade or status\nTry 'phedex db -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("db", db, TRUE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  if (strcmp (argv[1], "status") != 0)
    {
      int from = 0, to = 0;
      if (!px_tmdb_migrate (tmdb, strcmp (argv[1], "upgrade") == 0, &from, &to, &error))
        {
          px_cli_error ("db", "%s", error->message);
          return PX_EXIT_FAILURE;
        }
      if (from == to)
        printf ("schema is at version %d, the latest; nothing to do\n", to);
      else
        printf ("schema migrated from version %d to %d\n", from, to);
      return PX_EXIT_OK;
    }
  int v = 0;
  if (!px_tmdb_schema_version (tmdb, &v, &error))
    {
      px_cli_error ("db", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  if (v == 0)
    {
      if (json)
        printf ("{\"version\": 0, \"latest\": %d}\n", px_tmdb_schema_latest ());
      else
        printf ("no phedex schema (this phedex creates version %d with 'phedex db init')\n", px_tmdb_schema_latest ());
      return PX_EXIT_OK;
    }
  static const char *names[] = { "nodes", "links", "datasets", "blocks", "files", "replicas", "subscriptions",
                                 "requests", "open_tasks", "errors" };
  g_autoptr(PxRows) rows = NULL;
  if (v == px_tmdb_schema_latest ())
    rows = px_tmdb_exec (tmdb, "status_counts", 0, NULL, &error);
  if (json)
    {
      printf ("{\"version\": %d, \"latest\": %d", v, px_tmdb_schema_latest ());
      for (guint i = 0; rows && i < G_N_ELEMENTS (names); i++)
        printf (", \"%s\": %s", names[i], px_rows_get (rows, 0, i));
      printf ("}\n");
      return PX_EXIT_OK;
    }
  printf ("schema version %d (latest %d)%s\n", v, px_tmdb_schema_latest (),
          v < px_tmdb_schema_latest () ? ": run 'phedex db upgrade'" : "");
  for (guint i = 0; rows && i < G_N_ELEMENTS (names); i++)
    printf ("  %-14s %s\n", names[i], px_rows_get (rows, 0, i));
  return PX_EXIT_OK;
}
