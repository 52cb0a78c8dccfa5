/* phedex why --dataset D | --block B | --lfn L --node N — for each file not
 * yet at N, the reason it is not: not subscribed, suspended, no source
 * replica, no path, gave up, cooling off after failures (last error), link
 * down or agents dead, queued behind K bytes, waiting behind higher
 * priority, in transfer since T.  One statement; the first reason that
 * applies wins. */
#include "cli.h"

int
px_cmd_why (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *dataset = NULL, *block = NULL, *lfn = NULL;
  gboolean json = FALSE;
  int limit = 5;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the node the files should be at (required)", "NODE" },
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "the files of a dataset", "NAME" },
    { "block", 'B', 0, G_OPTION_ARG_STRING, &block, "the files of a block", "NAME" },
    { "lfn", 'l', 0, G_OPTION_ARG_STRING, &lfn, "one file", "LFN" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "files shown per reason (default 5; --json shows all)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON: one object per file", NULL },
    { NULL }
  };
  if (!px_cli_parse ("why", "", "Say, for each file of a dataset, block or LFN that is not yet at a node, why not.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!node || (!!dataset + !!block + !!lfn) != 1 || argc != 1)
    {
      px_cli_error ("why", "name --node and one of --dataset, --block or --lfn\nTry 'phedex why -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("why", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) e = NULL;
  g_autoptr(PxRows) n = px_tmdb_run (tmdb, "node_id", &e, node);
  if (!n)
    return px_cli_error ("why", "%s", e->message), PX_EXIT_FAILURE;
  if (px_rows_count (n) == 0)
    return px_cli_error ("why", "unknown node '%s' (see 'phedex nodes')", node), PX_EXIT_FAILURE;
  g_autoptr(PxRows) r = px_tmdb_run (tmdb, "why", &e, node, dataset ? dataset : "", block ? block : "",
                                     lfn ? lfn : "");
  if (!r)
    return px_cli_error ("why", "%s", e->message), PX_EXIT_FAILURE;
  guint count = px_rows_count (r);
  if (json)
    {
      g_autoptr(GString) o = g_string_new ("[");
      for (guint i = 0; i < count; i++)
        {
          g_string_append (o, i ? ",\n {\"lfn\":" : "\n {\"lfn\":");
          px_json_append_string (o, px_rows_get (r, i, 0));
          g_string_append (o, ",\"code\":");
          px_json_append_string (o, px_rows_get (r, i, 1));
          g_string_append (o, ",\"reason\":");
          px_json_append_string (o, px_rows_get (r, i, 2));
          g_string_append_c (o, '}');
        }
      g_string_append (o, count ? "\n]\n" : "]\n");
      fputs (o->str, stdout);
      return PX_EXIT_OK;
    }
  if (count == 0)
    {
      printf ("every file of %s is at %s\n", dataset ? dataset : block ? block : lfn, node);
      return PX_EXIT_OK;
    }
  printf ("%u files of %s are not at %s:\n", count, dataset ? dataset : block ? block : lfn, node);
  for (guint i = 0, shown = 0; i < count; i++)
    {
      const char *code = px_rows_get (r, i, 1);
      gboolean first = i == 0 || g_strcmp0 (code, px_rows_get (r, i - 1, 1)) != 0;
      if (first)
        {
          guint k = i;
          while (k < count && g_strcmp0 (px_rows_get (r, k, 1), code) == 0)
            k++;
          printf ("\n%s: %u files\n", code, k - i);
          shown = 0;
        }
      if ((int) shown < limit)
        printf ("  %s: %s\n", px_rows_get (r, i, 0), px_rows_get (r, i, 2));
      else if ((int) shown == limit)
        printf ("  ... (--limit or --json for all)\n");
      shown++;
    }
  return PX_EXIT_OK;
}
