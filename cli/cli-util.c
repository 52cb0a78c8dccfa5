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
