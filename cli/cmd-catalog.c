/* phedex catalog export --node N [--protocol P] [--output FILE] — the
 * node's replicas as a POOL XML file catalogue for jobs at the site. */
#include "cli.h"
#include "catalog/pool.h"
#include <string.h>

int
px_cmd_catalog (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *protocol = NULL, *output = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the node whose replicas to list (required)", "NODE" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol, "storage.xml protocol of the PFNs (default: direct)", "P" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "write here, replaced atomically (default: stdout)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print a JSON summary (with --output)", NULL },
    { NULL }
  };
  if (!px_cli_parse ("catalog", "export",
                     "Export a node's verified replicas as a POOL XML file catalogue (File ID = a GUID derived from "
                     "the LFN, PFN from the node's storage.xml as its agents uploaded it).",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc != 2 || strcmp (argv[1], "export") != 0 || !node)
    {
      px_cli_error ("catalog", "usage: phedex catalog export --node NODE [--protocol P] [--output FILE]\n"
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
