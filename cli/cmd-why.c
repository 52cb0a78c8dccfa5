/* phedex why --dataset D | --block B | --lfn L --node N — for each file not
 * yet at N, the reason it is not: not subscribed, suspended, no source
 * replica, no path, gave up, cooling off after failures (last error), link
 * down or agents dead, queued behind K bytes, waiting behind higher
 * priority, in transfer since T.  One statement; the first reason that
 * applies wins. */
#include "cli-table.h"

static const PxTableColumn columns[] = {
  { "lfn", "LFN", PX_TABLE_TEXT },
  { "code", "CODE", PX_TABLE_TEXT },
  { "reason", "REASON", PX_TABLE_TEXT, .sql = "text" },
  { NULL }
};

gboolean
px_cmd_why (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *dataset = NULL, *block = NULL, *lfn = NULL;
  int limit = 5;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node the files should be at (required)"),
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "the files of a dataset", "NAME" },
    { "block", 'B', 0, G_OPTION_ARG_STRING, &block, "the files of a block", "NAME" },
    { "lfn", 'l', 0, G_OPTION_ARG_STRING, &lfn, "one file", "LFN" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "files shown per reason (default 5; --json shows all)", "N" },
    PX_CLI_JSON_ENTRY (cli, "JSON: one object per file"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "Say, for each file of a dataset, block or LFN that is not yet at a node, why not.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || (!!dataset + !!block + !!lfn) != 1 || argc != 1)
    return px_cli_usage (cli, error, "name --node and one of --dataset, --block or --lfn");
  const char *node = cli->node;
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_why, error, PX_TEXT (node), PX_TEXT (dataset ? dataset : ""),
                                       PX_TEXT (block ? block : ""), PX_TEXT (lfn ? lfn : ""));
  if (!r)
    return FALSE;
  if (cli->json)
    {
      g_autoptr(PxTable) t = px_table_new (columns);
      px_table_add_rows (t, r);
      px_table_print (t, TRUE);
      return TRUE;
    }
  guint count = px_rows_count (r);
  if (count == 0)
    {
      printf ("every file of %s is at %s\n", dataset ? dataset : block ? block : lfn, node);
      return TRUE;
    }
  printf ("%u files of %s are not at %s:\n", count, dataset ? dataset : block ? block : lfn, node);
  for (guint i = 0, shown = 0; i < count; i++)
    {
      const char *code = px_rows_text (r, i, "code");
      gboolean first = i == 0 || g_strcmp0 (code, px_rows_text (r, i - 1, "code")) != 0;
      if (first)
        {
          guint k = i;
          while (k < count && g_strcmp0 (px_rows_text (r, k, "code"), code) == 0)
            k++;
          printf ("\n%s: %u files\n", code, k - i);
          shown = 0;
        }
      if ((int) shown < limit)
        printf ("  %s: %s\n", px_rows_text (r, i, "lfn"), px_rows_text (r, i, "text"));
      else if ((int) shown == limit)
        printf ("  ... (--limit or --json for all)\n");
      shown++;
    }
  return TRUE;
}
