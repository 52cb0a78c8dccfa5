/* phedex policy add|list|rm — auto-subscription policies: a dataset whose
 * name matches a pattern is subscribed at a node (custodial, replica or
 * move, with a priority and group) when phedex handoff first injects merged
 * files of it. */
#include "cli-json.h"
#include <string.h>

static const char *const priorities[] = { "high", "normal", "low" };

static gboolean
policy_add (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *pattern = NULL, *node = NULL, *priority = NULL, *group = NULL;
  gboolean custodial = FALSE, replica = FALSE, move = FALSE;
  GOptionEntry entries[] = {
    { "pattern", 0, 0, G_OPTION_ARG_STRING, &pattern, "dataset names ('*': any characters), e.g. /*/Run2024*/AOD", "GLOB" },
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the destination node", "NODE" },
    { "custodial", 0, 0, G_OPTION_ARG_NONE, &custodial, "a custodial copy (an MSS node only)", NULL },
    { "replica", 0, 0, G_OPTION_ARG_NONE, &replica, "a replica", NULL },
    { "move", 0, 0, G_OPTION_ARG_NONE, &move, "a move: the producing node's copy goes once it is there", NULL },
    { "priority", 'p', 0, G_OPTION_ARG_STRING, &priority, "high, normal (default) or low", "P" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "the subscriptions' user group", "GROUP" },
    { NULL }
  };
  if (!px_cli_parse (cli, "add", "Subscribe datasets matching --pattern at --node when production output of them is "
                     "handed off.", entries, &argc, &argv, error))
    return FALSE;
  if (!pattern || !*pattern || !node || custodial + replica + move != 1 || argc != 2)
    return px_cli_usage (cli, error, "--pattern, --node and one of --custodial, --replica or --move are required");
  int prio = 1;
  if (priority)
    {
      for (prio = 0; prio < 3 && strcmp (priority, priorities[prio]) != 0; prio++)
        ;
      if (prio == 3)
        return px_cli_usage (cli, error, "--priority must be high, normal or low, not '%s'", priority);
    }
  const char *kind = custodial ? "custodial" : move ? "move" : "replica";
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_policy_add, error, PX_TEXT (pattern), PX_TEXT (node),
                                       PX_TEXT (kind), PX_INT (prio), PX_TEXT (group ? group : ""));
  if (!r)
    return FALSE;
  if (!px_rows_count (r))
    {
      g_autoptr(PxRows) n = px_tmdb_query (cli->db, px_sql_node_id, error, PX_TEXT (node));
      if (!n)
        return FALSE;
      if (!px_rows_count (n))
        return px_cli_fail (error, "no node %s", node);
      return px_cli_fail (error, "a custodial policy needs an MSS node: %s is not one", node);
    }
  if (!px_cli_audit (cli, "policy add", error, "id", px_rows_text (r, 0, "id"), "pattern", pattern, "node", node,
                     "kind", kind, "priority", priorities[prio], "group", group, NULL))
    return FALSE;
  printf ("policy %" G_GINT64_FORMAT ": %s %s at %s, priority %s%s%s\n", px_rows_int (r, 0, "id"), pattern, kind, node,
          priorities[prio], group ? ", group " : "", group ? group : "");
  return TRUE;
}

static gboolean
policy_list (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = { PX_CLI_JSON_ENTRY (cli, "JSON output"), { NULL } };
  if (!px_cli_parse (cli, "list", "The auto-subscription policies.", entries, &argc, &argv, error))
    return FALSE;
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_policy_list, error);
  if (!r)
    return FALSE;
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_array (&j, NULL);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      const char *prio = priorities[CLAMP (px_rows_int (r, i, "priority"), 0, 2)];
      if (cli->json)
        {
          px_json_begin_object (&j, NULL);
          px_json_int (&j, "id", px_rows_int (r, i, "id"));
          px_json_string (&j, "pattern", px_rows_text (r, i, "pattern"));
          px_json_string (&j, "node", px_rows_text (r, i, "node"));
          px_json_string (&j, "kind", px_rows_text (r, i, "kind"));
          px_json_string (&j, "priority", prio);
          px_json_string (&j, "group", px_rows_text (r, i, "group"));
          px_json_end (&j);
        }
      else
        printf ("%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\t%s\n", px_rows_int (r, i, "id"), px_rows_text (r, i, "pattern"),
                px_rows_text (r, i, "node"), px_rows_text (r, i, "kind"), prio, px_rows_text (r, i, "group"));
    }
  px_json_end (&j);
  if (cli->json)
    px_json_print (&j);
  return TRUE;
}

static gboolean
policy_rm (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = { { NULL } };
  if (!px_cli_parse (cli, "rm ID", "Remove a policy (subscriptions it made stay).", entries, &argc, &argv, error))
    return FALSE;
  char *end = NULL;
  gint64 id = argc == 3 ? g_ascii_strtoll (argv[2], &end, 10) : 0;
  if (argc != 3 || !end || *end || id <= 0)
    return px_cli_usage (cli, error, "usage: phedex policy rm ID (see phedex policy list)");
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_policy_rm, error, PX_INT (id));
  if (!r)
    return FALSE;
  if (px_rows_int (r, 0, "removed") == 0)
    return px_cli_fail (error, "no policy %" G_GINT64_FORMAT, id);
  if (!px_cli_audit (cli, "policy rm", error, "id", argv[2], NULL))
    return FALSE;
  printf ("removed policy %" G_GINT64_FORMAT "\n", id);
  return TRUE;
}

gboolean
px_cmd_policy (PxCli *cli, int argc, char **argv, GError **error)
{
  const char *sub = argc > 1 ? argv[1] : "";
  if (strcmp (sub, "add") == 0)
    return policy_add (cli, argc, argv, error);
  if (strcmp (sub, "list") == 0)
    return policy_list (cli, argc, argv, error);
  if (strcmp (sub, "rm") == 0)
    return policy_rm (cli, argc, argv, error);
  GOptionEntry entries[] = { { NULL } };
  if (!px_cli_parse (cli, "add|list|rm", "Auto-subscription policies for handed-off production output.", entries, &argc,
                     &argv, error))
    return FALSE;
  return px_cli_usage (cli, error, "a subcommand is required: add, list or rm");
}
