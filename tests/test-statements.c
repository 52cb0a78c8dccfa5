/* test-statements — every TMDB statement prepares against the schema the
 * migrations build, and returns exactly the columns it declares (the shape
 * callers read by name).  Needs $PHEDEX_DB pointing at an empty database
 * (tests/t0010-statements.sh makes one).  TAP on stdout. */
#include "config.h"
#include "tmdb/tmdb.h"
#include <stdio.h>

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTmdb) db = px_tmdb_connect (g_getenv ("PHEDEX_DB"), "test-statements", &error);
  int from = 0, to = 0;
  if (!db || !px_tmdb_migrate (db, FALSE, &from, &to, &error))
    {
      printf ("Bail out! %s\n", error->message);
      return 1;
    }
  /* The statements that read the injection staging table need it (it lives
   * until the transaction ends). */
  if (!px_tmdb_begin (db, &error) || !px_tmdb_inject_stage (db, NULL, &error))
    {
      printf ("Bail out! %s\n", error->message);
      return 1;
    }
  int n = 0, failed = 0;
  for (const PxTmdbStatement *const *s = px_tmdb_statements; *s; s++)
    {
      g_autoptr(GError) e = NULL;
      n++;
      if (px_tmdb_describe (db, *s, &e))
        printf ("ok %d - %s returns (%s)\n", n, (*s)->name, (*s)->columns);
      else
        {
          failed++;
          printf ("not ok %d - %s\n# %s\n", n, (*s)->name, e->message);
        }
    }
  printf ("1..%d\n", n);
  return failed ? 1 : 0;
}
