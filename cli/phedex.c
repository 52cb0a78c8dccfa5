/* phedex — the data manager's and operator's command line.  A git-style
 * table of subcommands, one cli/cmd-<name>.c each. */
#include "config.h"
#include "cli.h"
#include <locale.h>
#include <string.h>

static const PxCommand commands[] = {
  { "db", px_cmd_db, "create, upgrade or describe the TMDB schema" },
  { "node", px_cmd_node, "add or list storage nodes" },
  { "link", px_cmd_link, "add or list links between nodes" },
  { "inject", px_cmd_inject, "register files present at a node (PhEDEx injection XML)" },
  { "subscribe", px_cmd_subscribe, "ask for a dataset or block at a node (--dry-run: what it would take)" },
  { "unsubscribe", px_cmd_unsubscribe, "drop a subscription (files already there stay)" },
  { "suspend", px_cmd_suspend, "pause a subscription until a time or until resumed" },
  { "resume", px_cmd_resume, "resume a suspended subscription" },
  { "delete", px_cmd_delete, "delete a dataset's or block's replicas at a node (never the last copy)" },
  { "why", px_cmd_why, "say why files are not yet at a node" },
  { "replicas", px_cmd_replicas, "list where the files of a dataset are" },
  { "status", px_cmd_status, "subscriptions, transfers, errors and agents at a glance" },
  { "nodes", px_cmd_nodes, "list nodes with their replicas, live agents and storage.xml" },
  { "links", px_cmd_links, "list links with measured rate, queue, recent failures" },
  { "queue", px_cmd_queue, "show queued and running transfers per link and priority" },
  { "errors", px_cmd_errors, "show recent transfer errors per link and reason" },
  { "checksum", px_cmd_checksum, "print the CMS checksum string of local files" },
  { "catalog", px_cmd_catalog, "export a node's replicas as a POOL XML file catalogue, or list one" },
  { "transfer", px_cmd_transfer, "copy, stat, checksum or remove one PFN with the agents' backends" },
  { "demo", px_cmd_demo, "run a few sites on this machine moving real files" },
  { "lfn2pfn", px_cmd_lfn2pfn, "map logical file names to physical ones with a storage.xml" },
  { "pfn2lfn", px_cmd_pfn2lfn, "map physical file names back to logical ones with a storage.xml" },
};

static void
usage (FILE *out)
{
  fprintf (out, "usage: phedex [--version] [-h] COMMAND [ARGS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'phedex COMMAND -h' for a command's options.\n"
                "Exit status: 0 ok, 1 failure (the message says what to do), 2 usage error.\n");
}

int
main (int argc, char **argv)
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
      if (argc > 2 && strcmp (name, "help") == 0)
        {
          for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
            if (strcmp (argv[2], commands[i].name) == 0)
              {
                char *sub[] = { argv[2], (char *) "-h", NULL };
                return commands[i].fn (2, sub);
              }
        }
      usage (stdout);
      return PX_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      return commands[i].fn (argc - 1, argv + 1);
  fprintf (stderr, "phedex: '%s' is not a phedex command. See 'phedex -h'.\n", name);
  return PX_EXIT_USAGE;
}
