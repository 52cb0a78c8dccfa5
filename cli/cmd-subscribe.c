/* phedex subscribe --node NODE --dataset NAME */
#include "cli.h"
#include <string.h>

int
px_cmd_subscribe (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *dataset = NULL, *priority = NULL, *group = NULL;
  gboolean move = FALSE, custodial = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "destination node (required)", "NODE" },
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "dataset to deliver (required)", "NAME" },
    { "priority", 'p', 0, G_OPTION_ARG_STRING, &priority, "high, normal (default) or low", "P" },
    { "move", 0, 0, G_OPTION_ARG_NONE, &move, "a move: sources are deleted once the destination is complete", NULL },
    { "custodial", 0, 0, G_OPTION_ARG_NONE, &custodial, "the destination keeps the custodial copy", NULL },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "accounting group", "GROUP" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  if (!px_cli_parse ("subscribe", "", "Ask for every file of a dataset (including files added later) at a node.\n"
                     "The node's router turns the subscription into transfers at once.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!node || !dataset || argc != 1)
    {
      px_cli_error ("subscribe", "--node and --dataset are required\nTry 'phedex subscribe -h' for usage.");
      return PX_EXIT_USAGE;
    }
  const char *prio = "1";
  if (priority && strcmp (priority, "high") == 0)
    prio = "0";
  else if (priority && strcmp (priority, "low") == 0)
    prio = "2";
  else if (priority && strcmp (priority, "normal") != 0)
    {
      px_cli_error ("subscribe", "--priority must be high, normal or low, not '%s'", priority);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("subscribe", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) n = px_tmdb_run (tmdb, "node_id", &error, node);
  g_autoptr(PxRows) d = n ? px_tmdb_run (tmdb, "dataset_id", &error, dataset) : NULL;
  if (!d)
    {
      px_cli_error ("subscribe", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  if (px_rows_count (n) == 0 || px_rows_count (d) == 0)
    {
      px_cli_error ("subscribe", px_rows_count (n) == 0 ? "unknown node '%s' (see 'phedex node list')"
                                                        : "unknown dataset '%s' (inject it first)",
                    px_rows_count (n) == 0 ? node : dataset);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxRows) r = px_tmdb_run (tmdb, "subscribe_dataset", &error, dataset, node, prio, move ? "t" : "f",
                                     custodial ? "t" : "f", group ? group : "");
  if (!r)
    {
      px_cli_error ("subscribe", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  if (json)
    printf ("{\"subscription\": %s, \"dataset\": \"%s\", \"node\": \"%s\", \"files\": %s}\n", px_rows_get (r, 0, 0),
            dataset, node, px_rows_get (r, 0, 1));
  else
    printf ("subscribed %s to %s (%s files; subscription %s)\n", dataset, node, px_rows_get (r, 0, 1),
            px_rows_get (r, 0, 0));
  return PX_EXIT_OK;
}
