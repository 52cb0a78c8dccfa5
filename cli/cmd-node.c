/* phedex node add|list, phedex link add|list.  The lists are `phedex nodes`
 * and `phedex links` under their older names. */
#include "cli.h"
#include <string.h>

gboolean
px_cmd_node (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *kind = NULL;
  GOptionEntry entries[] = {
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind, "Disk (default), MSS (tape) or Buffer", "KIND" },
    PX_CLI_JSON_ENTRY (cli, "JSON output (list)"),
    { NULL }
  };
  if (!px_cli_parse (cli, "add NAME... | list", "Add storage nodes to the TMDB, or list them with their replicas "
                     "and live agents (as 'phedex nodes').", entries, &argc, &argv, error))
    return FALSE;
  if (argc < 2 || (strcmp (argv[1], "add") && strcmp (argv[1], "list")) || (!strcmp (argv[1], "add") && argc < 3))
    return px_cli_usage (cli, error, "say 'add NAME...' or 'list'");
  if (kind && strcmp (kind, "Disk") && strcmp (kind, "MSS") && strcmp (kind, "Buffer"))
    return g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "--kind must be Disk, MSS or Buffer, not '%s'",
                        kind), FALSE;
  if (strcmp (argv[1], "list") == 0)
    {
      if (argc > 2)
        return px_cli_usage (cli, error, "unexpected argument '%s'", argv[2]);
      return px_cli_print_nodes (cli, error);
    }
  for (int i = 2; i < argc; i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_node_add, &e, PX_TEXT (argv[i]),
                                           PX_TEXT (kind ? kind : "Disk"));
      if (!r)
        return px_cli_fail (error, "cannot add node '%s': %s%s", argv[i], e->message,
                            strstr (e->message, "nodes_name_check") ? " (names are letters, digits and _)" : "");
      if (px_rows_count (r) && !px_cli_audit (cli, "node add", error, "name", argv[i], "kind", kind ? kind : "Disk", NULL))
        return FALSE;
      printf (px_rows_count (r) ? "added node %s\n" : "node %s exists already\n", argv[i]);
    }
  return TRUE;
}

gboolean
px_cmd_link (PxCli *cli, int argc, char **argv, GError **error)
{
  gboolean both = FALSE;
  int distance = 1;
  GOptionEntry entries[] = {
    { "both", 'b', 0, G_OPTION_ARG_NONE, &both, "add the link in both directions", NULL },
    { "distance", 'd', 0, G_OPTION_ARG_INT, &distance, "link distance (routing cost), default 1", "N" },
    PX_CLI_NODE_ENTRY (cli, "list: only links from or to this node"),
    PX_CLI_JSON_ENTRY (cli, "JSON output (list)"),
    { NULL }
  };
  if (!px_cli_parse (cli, "add FROM TO | list", "Add a directed link data may travel, or list the links (as "
                     "'phedex links').", entries, &argc, &argv, error))
    return FALSE;
  gboolean add = argc == 4 && strcmp (argv[1], "add") == 0, list = argc == 2 && strcmp (argv[1], "list") == 0;
  if (!add && !list)
    return px_cli_usage (cli, error, "say 'add FROM TO' or 'list'");
  if (distance < 1)
    return g_set_error_literal (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "--distance must be at least 1"), FALSE;
  if (list)
    return px_cli_print_links (cli, error);
  for (int dir = 0; dir < (both ? 2 : 1); dir++)
    {
      const char *from = argv[dir ? 3 : 2], *to = argv[dir ? 2 : 3];
      if (!px_cli_resolve_node (cli, from, NULL, error) || !px_cli_resolve_node (cli, to, NULL, error))
        return FALSE;
      g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_link_add, error, PX_TEXT (from), PX_TEXT (to),
                                           PX_INT (distance));
      if (!r)
        {
          g_prefix_error (error, "cannot add link %s -> %s: ", from, to);
          return FALSE;
        }
      g_autofree char *dist = g_strdup_printf ("%d", distance);
      if (!px_cli_audit (cli, "link add", error, "from", from, "to", to, "distance", dist, NULL))
        return FALSE;
      printf ("link %s -> %s (distance %d)\n", from, to, distance);
    }
  return TRUE;
}
