/* phedex catalog export --node N [--protocol P] [--output FILE] — the
 * node's replicas as a POOL XML file catalogue for jobs at the site.
 * phedex catalog list FILE [--json] — what a POOL catalogue holds. */
#include "cli.h"
#include "cli-table.h"
#include "catalog/pool.h"
#include <string.h>

/* One row per GUID, LFN and PFN (a File with two PFNs gives two rows; a
 * missing LFN or PFN shows as "-", null in JSON). */
static int
list (const char *path, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = px_pool_parse_file (path, &error);
  if (!files)
    {
      px_cli_error ("catalog", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  static const PxTableColumn cols[] = {
    { "guid", "GUID", PX_TABLE_TEXT }, { "lfn", "LFN", PX_TABLE_TEXT }, { "pfn", "PFN", PX_TABLE_TEXT }, { NULL }
  };
  g_autoptr(PxTable) t = px_table_new (cols);
  for (guint i = 0; i < files->len; i++)
    {
      const PxPoolFile *f = files->pdata[i];
      guint nl = g_strv_length (f->lfns), np = g_strv_length (f->pfns);
      for (guint l = 0; l < MAX (nl, 1); l++)
        for (guint p = 0; p < MAX (np, 1); p++)
          {
            px_table_row (t);
            px_table_add (t, f->guid);
            px_table_add (t, nl ? f->lfns[l] : NULL);
            px_table_add (t, np ? f->pfns[p] : NULL);
          }
    }
  px_table_print (t, json);
  return PX_EXIT_OK;
}

int
px_cmd_catalog (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *protocol = NULL, *output = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "export: the node whose replicas to export (required)", "NODE" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol, "storage.xml protocol of the PFNs (default: direct)", "P" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write here, replaced atomically (default: stdout)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "export: a JSON summary (with --output); list: a JSON array", NULL },
    { NULL }
  };
  if (!px_cli_parse ("catalog", "export --node NODE | list FILE",
                     "export: write a node's verified replicas as a POOL XML file catalogue (File ID = a GUID derived "
                     "from the LFN, PFN from the node's storage.xml as its agents uploaded it).\n"
                     "list: print the GUID, LFN and PFN of every file in the POOL XML catalogue FILE.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc == 3 && strcmp (argv[1], "list") == 0)
    return list (argv[2], json);
  if (argc != 2 || strcmp (argv[1], "export") != 0 || !node)
    {
      px_cli_error ("catalog", "usage: phedex catalog export --node NODE [--protocol P] [--output FILE]\n"
                               "       phedex catalog list FILE [--json]\n"
                               "Try 'phedex catalog -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("catalog", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  guint written = 0, unmapped = 0;
  const char *path = output ? output : "-";
  if (!px_pool_export_node (tmdb, node, protocol ? protocol : "direct", path, &written, &unmapped, &error))
    {
      px_cli_error ("catalog", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  if (unmapped)
    px_cli_error ("catalog", "warning: %u LFNs have no PFN under protocol '%s' and were left out", unmapped,
                  protocol ? protocol : "direct");
  if (output && json)
    printf ("{\"node\":\"%s\",\"output\":\"%s\",\"files\":%u,\"unmapped\":%u}\n", node, output, written, unmapped);
  else if (output)
    printf ("wrote %u files of %s to %s\n", written, node, output);
  return PX_EXIT_OK;
}
