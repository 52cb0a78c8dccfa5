/* phedex node add|list, phedex link add|list */
#include "cli.h"
#include <string.h>

static int
node_list (PxTmdb *tmdb, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) rows = px_tmdb_exec (tmdb, "node_list", 0, NULL, &error);
  if (!rows)
    {
      px_cli_error ("node", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(GString) out = g_string_new (json ? "[" : "");
  if (!json)
    g_string_append_printf (out, "%-24s %-7s %-4s %9s %10s  %s\n", "NODE", "KIND", "TFC", "REPLICAS", "BYTES", "AGENTS ALIVE");
  for (guint i = 0; i < px_rows_count (rows); i++)
    {
      if (json)
        {
          g_string_append (out, i ? ",\n {\"name\": " : "\n {\"name\": ");
          px_json_append_string (out, px_rows_get (rows, i, 0));
          g_string_append (out, ", \"kind\": ");
          px_json_append_string (out, px_rows_get (rows, i, 1));
          g_string_append_printf (out, ", \"tfc\": %s, \"replicas\": %s, \"bytes\": %s, \"agents\": ",
                                  px_rows_get_bool (rows, i, 2) ? "true" : "false", px_rows_get (rows, i, 3),
                                  px_rows_get (rows, i, 4));
          px_json_append_string (out, px_rows_get (rows, i, 5) ? px_rows_get (rows, i, 5) : "");
          g_string_append (out, "}");
          continue;
        }
      g_autofree char *b = px_cli_bytes (px_rows_get_int (rows, i, 4));
      g_string_append_printf (out, "%-24s %-7s %-4s %9s %10s  %s\n", px_rows_get (rows, i, 0), px_rows_get (rows, i, 1),
                              px_rows_get_bool (rows, i, 2) ? "yes" : "no", px_rows_get (rows, i, 3), b,
                              px_rows_get (rows, i, 5) ? px_rows_get (rows, i, 5) : "-");
    }
  if (json)
    g_string_append (out, "\n]\n");
  fputs (out->str, stdout);
  return PX_EXIT_OK;
}

int
px_cmd_node (int argc, char **argv)
{
  g_autofree char *db = NULL, *kind = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind, "Disk (default), MSS (tape) or Buffer", "KIND" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output (list)", NULL },
    { NULL }
  };
  if (!px_cli_parse ("node", "add NAME... | list", "Add storage nodes to the TMDB, or list them with their replicas "
                     "and live agents.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc < 2 || (strcmp (argv[1], "add") && strcmp (argv[1], "list")) || (!strcmp (argv[1], "add") && argc < 3))
    {
      px_cli_error ("node", "say 'add NAME...' or 'list'\nTry 'phedex node -h' for usage.");
      return PX_EXIT_USAGE;
    }
  if (kind && strcmp (kind, "Disk") && strcmp (kind, "MSS") && strcmp (kind, "Buffer"))
    {
      px_cli_error ("node", "--kind must be Disk, MSS or Buffer, not '%s'", kind);
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("node", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  if (strcmp (argv[1], "list") == 0)
    return node_list (tmdb, json);
  g_autoptr(GError) error = NULL;
  for (int i = 2; i < argc; i++)
    {
      g_autoptr(PxRows) r = px_tmdb_run (tmdb, "node_add", &error, argv[i], kind ? kind : "Disk");
      if (!r)
        {
          px_cli_error ("node", "cannot add node '%s': %s%s", argv[i], error->message,
                        strstr (error->message, "nodes_name_check") ? " (names are letters, digits and _)" : "");
          return PX_EXIT_FAILURE;
        }
      printf (px_rows_count (r) ? "added node %s\n" : "node %s exists already\n", argv[i]);
    }
  return PX_EXIT_OK;
}

int
px_cmd_link (int argc, char **argv)
{
  g_autofree char *db = NULL;
  gboolean both = FALSE, json = FALSE;
  int distance = 1;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "both", 'b', 0, G_OPTION_ARG_NONE, &both, "add the link in both directions", NULL },
    { "distance", 'd', 0, G_OPTION_ARG_INT, &distance, "link distance (routing cost), default 1", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output (list)", NULL },
    { NULL }
  };
  if (!px_cli_parse ("link", "add FROM TO | list", "Add a directed link data may travel, or list the links.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  gboolean add = argc == 4 && strcmp (argv[1], "add") == 0, list = argc == 2 && strcmp (argv[1], "list") == 0;
  if (!add && !list)
    {
      px_cli_error ("link", "say 'add FROM TO' or 'list'\nTry 'phedex link -h' for usage.");
      return PX_EXIT_USAGE;
    }
  if (distance < 1)
    {
      px_cli_error ("link", "--distance must be at least 1");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("link", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  if (list)
    {
      g_autoptr(PxRows) rows = px_tmdb_exec (tmdb, "link_list", 0, NULL, &error);
      if (!rows)
        {
          px_cli_error ("link", "%s", error->message);
          return PX_EXIT_FAILURE;
        }
      g_autoptr(GString) out = g_string_new (json ? "[" : "");
      if (!json)
        g_string_append_printf (out, "%-24s %-24s %8s %s\n", "FROM", "TO", "DISTANCE", "ACTIVE");
      for (guint i = 0; i < px_rows_count (rows); i++)
        if (json)
          {
            g_string_append (out, i ? ",\n {\"from\": " : "\n {\"from\": ");
            px_json_append_string (out, px_rows_get (rows, i, 0));
            g_string_append (out, ", \"to\": ");
            px_json_append_string (out, px_rows_get (rows, i, 1));
            g_string_append_printf (out, ", \"distance\": %s, \"active\": %s}", px_rows_get (rows, i, 2),
                                    px_rows_get_bool (rows, i, 3) ? "true" : "false");
          }
        else
          g_string_append_printf (out, "%-24s %-24s %8s %s\n", px_rows_get (rows, i, 0), px_rows_get (rows, i, 1),
                                  px_rows_get (rows, i, 2), px_rows_get_bool (rows, i, 3) ? "yes" : "no");
      if (json)
        g_string_append (out, "\n]\n");
      fputs (out->str, stdout);
      return PX_EXIT_OK;
    }
  g_autofree char *dist = g_strdup_printf ("%d", distance);
  for (int dir = 0; dir < (both ? 2 : 1); dir++)
    {
      const char *from = argv[dir ? 3 : 2], *to = argv[dir ? 2 : 3];
      g_autoptr(PxRows) r = px_tmdb_run (tmdb, "link_add", &error, from, to, dist);
      if (!r)
        {
          px_cli_error ("link", "cannot add link %s -> %s: %s", from, to, error->message);
          return PX_EXIT_FAILURE;
        }
      if (px_rows_count (r) == 0)
        {
          px_cli_error ("link", "cannot add link %s -> %s: unknown node (see 'phedex node list')", from, to);
          return PX_EXIT_FAILURE;
        }
      printf ("link %s -> %s (distance %d)\n", from, to, distance);
    }
  return PX_EXIT_OK;
}
