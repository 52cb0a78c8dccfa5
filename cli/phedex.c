/* phedex — the data manager's and operator's command line.  A git-style
 * table of subcommands, one cli/cmd-<name>.c each; the setup their flags
 * ask for happens here, once, and their errors are reported in one place
 * (px_cli_finish, cli/cli-core.c).
 *
 * This is the full command line, built as the module phedex-cli.so with
 * every library the commands use (libpq, libcurl, libxml2, Globus).  The
 * `phedex` program (cli/launcher.c) runs the local file commands itself and
 * hands every other command line, unchanged, to px_cli_module_main. */
#include "config.h"
#include "cli.h"
#include "transfer/transfer.h"
#include <gmodule.h>
#include <locale.h>
#include <string.h>

#define DB PX_CLI_DB
#define NODE (PX_CLI_DB | PX_CLI_NODE)
#define READ PX_CLI_READ

static const PxCommand commands[] = {
  { "db", px_cmd_db, DB | PX_CLI_ANY_SCHEMA, "create, upgrade or describe the TMDB schema" },
  { "node", px_cmd_node, DB, "add or list storage nodes" },
  { "link", px_cmd_link, NODE, "add or list links between nodes" },
  { "inject", px_cmd_inject, NODE | PX_CLI_DEFER, "register files present at a node (PhEDEx injection XML)" },
  { "handoff", px_cmd_handoff, NODE, "take production output over from CMSSW job reports at a node" },
  { "block", px_cmd_block, DB, "close a block for good (block close BLOCK)" },
  { "dataset", px_cmd_dataset, DB, "close a dataset and its blocks for good (dataset close DATASET)" },
  { "policy", px_cmd_policy, DB, "auto-subscription policies for handed-off output (add, list, rm)" },
  { "unmerged", px_cmd_unmerged, NODE, "unmerged files at a node: states with files and bytes; hold, release" },
  { "subscribe", px_cmd_subscribe, NODE, "ask for a dataset or block at a node (--dry-run: what it would take)" },
  { "unsubscribe", px_cmd_unsubscribe, NODE, "drop a subscription (files already there stay)" },
  { "suspend", px_cmd_suspend, NODE, "pause a subscription until a time or until resumed" },
  { "resume", px_cmd_resume, NODE, "resume a suspended subscription" },
  { "delete", px_cmd_delete, NODE, "delete a dataset's or block's replicas at a node (never the last copy)" },
  { "why", px_cmd_why, NODE | READ, "say why files are not yet at a node" },
  { "replicas", px_cmd_replicas, DB | READ, "list where the files of a dataset are" },
  { "status", px_cmd_status, DB | READ, "subscriptions, transfers, errors and agents at a glance" },
  { "nodes", px_cmd_nodes, DB | READ, "list nodes with their replicas, live agents and storage.xml" },
  { "links", px_cmd_links, NODE | READ, "list links with measured rate, queue, recent failures" },
  { "queue", px_cmd_queue, NODE | READ, "show queued and running transfers per link and priority" },
  { "errors", px_cmd_errors, NODE | READ, "show recent transfer errors per link and reason" },
  { "audit", px_cmd_audit, DB | READ, "list data-manager actions: who did what, when (--since TIME)" },
  { "checksum", px_cmd_checksum, PX_CLI_NO_SETUP, "print the CMS checksum string of local files" },
  { "catalog", px_cmd_catalog, NODE | PX_CLI_DEFER, "export a node's replicas as a POOL XML file catalogue, or list one" },
  { "transfer", px_cmd_transfer, PX_CLI_NO_SETUP, "copy, stat, checksum or remove one PFN with the agents' backends" },
  { "demo", px_cmd_demo, PX_CLI_NO_SETUP, "run a few sites on this machine moving real files" },
  { "lfn2pfn", px_cmd_lfn2pfn, PX_CLI_NO_SETUP, "map logical file names to physical ones with a storage.xml" },
  { "pfn2lfn", px_cmd_pfn2lfn, PX_CLI_NO_SETUP, "map physical file names back to logical ones with a storage.xml" },
};

/* The one place that says a node does not exist. */
gboolean
px_cli_resolve_node (PxCli *cli, const char *name, gint64 *id, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_query (cli->db, px_sql_node_id, error, PX_TEXT (name));
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return px_cli_fail (error, "unknown node '%s' (see 'phedex nodes')", name);
  if (id)
    *id = px_rows_int (r, 0, "id");
  return TRUE;
}

gboolean
px_cli_setup (PxCli *cli, GError **error)
{
  PxCliFlags flags = cli->command->flags;
  if (!(flags & PX_CLI_DB))
    return TRUE;
  /* A report may read from a streaming replica: --db-read, --db,
   * $PHEDEX_DB_READ, $PHEDEX_DB, in that order. */
  const char *conninfo = (flags & PX_CLI_READ) && cli->conninfo_read ? cli->conninfo_read
                         : cli->conninfo                              ? cli->conninfo
                         : (flags & PX_CLI_READ) && g_getenv ("PHEDEX_DB_READ") ? g_getenv ("PHEDEX_DB_READ")
                                                                      : g_getenv ("PHEDEX_DB");
  g_autofree char *app = g_strdup_printf ("phedex-%s", cli->command->name);
  g_autoptr(GError) e = NULL;
  cli->db = px_tmdb_connect (conninfo, app, &e);
  if (!cli->db)
    return px_cli_fail (error, "%s\n(set --db or PHEDEX_DB to the TMDB's connection string)", e->message);
  if (!(flags & PX_CLI_ANY_SCHEMA) && !px_tmdb_check_schema (cli->db, error))
    return FALSE;
  if (flags & PX_CLI_NODE)
    {
      if (cli->node && !px_cli_resolve_node (cli, cli->node, &cli->node_id, error))
        return FALSE;
      if (cli->from && !px_cli_resolve_node (cli, cli->from, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* Run COMMAND and say how it went. */
static int
run (const PxCommand *command, int argc, char **argv)
{
  PxCli cli = { .command = command, .setup = px_cli_setup };
  g_autoptr(GError) error = NULL;
  gboolean ok = command->fn (&cli, argc, argv, &error);
  px_transfer_gridftp_shutdown (); /* a GridFTP copy may still be closing its connection */
  px_tmdb_free (cli.db);
  g_free (cli.conninfo);
  g_free (cli.conninfo_read);
  g_free (cli.node);
  g_free (cli.from);
  return px_cli_finish (command, ok, error);
}

static const PxCommand *
find (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

static void
usage (FILE *out)
{
  fprintf (out, "usage: phedex [--version] [-h] COMMAND [ARGS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'phedex COMMAND -h' for a command's options.\n"
                "Exit status: 0 ok, 1 failure (the message says what to do), 2 usage error.\n");
}

G_MODULE_EXPORT int
px_cli_module_main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  px_log_init ("phedex");
  if (argc < 2)
    {
      usage (stderr);
      return PX_EXIT_USAGE;
    }
  const char *name = argv[1];
  if (strcmp (name, "--version") == 0 || strcmp (name, "version") == 0)
    {
      printf ("phedex %s\n", PACKAGE_VERSION);
      return PX_EXIT_OK;
    }
  if (strcmp (name, "-h") == 0 || strcmp (name, "--help") == 0 || strcmp (name, "help") == 0)
    {
      const PxCommand *c = argc > 2 && strcmp (name, "help") == 0 ? find (argv[2]) : NULL;
      if (c)
        {
          char *sub[] = { argv[2], (char *) "-h", NULL };
          return run (c, 2, sub);
        }
      usage (stdout);
      return PX_EXIT_OK;
    }
  const PxCommand *c = find (name);
  if (c)
    return run (c, argc - 1, argv + 1);
  fprintf (stderr, "phedex: '%s' is not a phedex command. See 'phedex -h'.\n", name);
  return PX_EXIT_USAGE;
}
