/* phedex catalog export --node N [--protocol P] [--output FILE] — the
 * node's replicas as a POOL XML file catalogue for jobs at the site.
 * phedex catalog list FILE [--json] — what a POOL catalogue holds. */
#include "cli-table.h"
#include "cli-json.h"
#include "catalog/pool.h"
#include <string.h>

/* One row per GUID, LFN and PFN (a File with two PFNs gives two rows; a
 * missing LFN or PFN shows as "-", null in JSON). */
static gboolean
list (const char *path, gboolean json, GError **error)
{
  g_autoptr(GPtrArray) files = px_pool_parse_file (path, error);
  if (!files)
    return FALSE;
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
            px_table_set (t, "guid", f->guid);
            px_table_set (t, "lfn", nl ? f->lfns[l] : NULL);
            px_table_set (t, "pfn", np ? f->pfns[p] : NULL);
          }
    }
  px_table_print (t, json);
  return TRUE;
}

gboolean
px_cmd_catalog (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *protocol = NULL, *output = NULL;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "export: the node whose replicas to export (required)"),
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol, "storage.xml protocol of the PFNs (default: direct)", "P" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write here, replaced atomically (default: stdout)", "FILE" },
    PX_CLI_JSON_ENTRY (cli, "export: a JSON summary (with --output); list: a JSON array"),
    { NULL }
  };
  if (!px_cli_parse (cli, "export --node NODE | list FILE",
                     "export: write a node's verified replicas as a POOL XML file catalogue (File ID = a GUID derived "
                     "from the LFN, PFN from the node's storage.xml as its agents uploaded it).\n"
                     "list: print the GUID, LFN and PFN of every file in the POOL XML catalogue FILE.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc == 3 && strcmp (argv[1], "list") == 0)
    return list (argv[2], cli->json, error);
  if (argc != 2 || strcmp (argv[1], "export") != 0 || !cli->node)
    return px_cli_usage (cli, error, "usage: phedex catalog export --node NODE [--protocol P] [--output FILE]\n"
                                     "       phedex catalog list FILE [--json]");
  /* Only export needs the TMDB. */
  if (!px_cli_setup (cli, error))
    return FALSE;
  guint written = 0, unmapped = 0;
  const char *path = output ? output : "-";
  if (!px_pool_export_node (cli->db, cli->node, protocol ? protocol : "direct", path, &written, &unmapped, error))
    return FALSE;
  if (unmapped)
    px_cli_warn (cli, "warning: %u LFNs have no PFN under protocol '%s' and were left out", unmapped,
                 protocol ? protocol : "direct");
  if (output && cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", cli->node);
      px_json_string (&j, "output", output);
      px_json_int (&j, "files", written);
      px_json_int (&j, "unmapped", unmapped);
      px_json_end (&j);
      px_json_print (&j);
    }
  else if (output)
    printf ("wrote %u files of %s to %s\n", written, cli->node, output);
  return TRUE;
}
