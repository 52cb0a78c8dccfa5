#include "cli.h"
#include <stdlib.h>

gboolean
px_cli_parse (const char *name, const char *params, const char *summary, GOptionEntry *entries, int *argc,
              char ***argv)
{
  g_autofree char *prg = g_strdup_printf ("phedex %s", name);
  g_set_prgname (prg);
  g_autoptr(GOptionContext) ctx = g_option_context_new (params);
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fprintf (stderr, "phedex %s: %s\nTry 'phedex %s -h' for usage.\n", name, error->message, name);
      return FALSE;
    }
  return TRUE;
}

void
px_cli_error (const char *name, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "phedex %s: %s\n", name, msg);
}

PxTmdb *
px_cli_connect (const char *name, const char *db, gboolean any_schema)
{
  if (!db)
    db = g_getenv ("PHEDEX_DB");
  g_autoptr(GError) error = NULL;
  g_autofree char *app = g_strdup_printf ("phedex-%s", name);
  g_autoptr(PxTmdb) tmdb = px_tmdb_connect (db, app, &error);
  if (!tmdb)
    {
      px_cli_error (name, "%s\n(set --db or PHEDEX_DB to the TMDB's connection string)", error->message);
      return NULL;
    }
  if (!any_schema && !px_tmdb_check_schema (tmdb, &error))
    {
      px_cli_error (name, "%s", error->message);
      return NULL;
    }
  return g_steal_pointer (&tmdb);
}

char *
px_cli_bytes (gint64 bytes)
{
  return g_format_size_full ((guint64) MAX (bytes, 0), G_FORMAT_SIZE_DEFAULT);
}
