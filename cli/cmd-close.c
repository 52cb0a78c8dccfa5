/* phedex block close BLOCK / phedex dataset close DATASET — the "workflow
 * finished" signal: the block (or the dataset with every block) is closed
 * for good.  phedex handoff never fills a closed block again and refuses
 * output of a closed dataset; its blocks also close by themselves at the
 * node's [handoff] limits. */
#include "cli.h"

static gboolean
close_cmd (PxCli *cli, gboolean dataset, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = { { NULL } };
  if (!px_cli_parse (cli, dataset ? "close DATASET" : "close BLOCK",
                     dataset ? "Close DATASET and every block of it, for good: nothing is added to it again."
                             : "Close BLOCK for good: nothing is added to it again (a hand-off opens a new block).",
                     entries, &argc, &argv, error))
    return FALSE;
  if (argc != 3 || g_strcmp0 (argv[1], "close") != 0)
    return px_cli_usage (cli, error, "usage: phedex %s close %s", dataset ? "dataset" : "block",
                         dataset ? "DATASET" : "BLOCK");
  const char *name = argv[2];
  g_autoptr(PxRows) r = dataset ? px_tmdb_query (cli->db, px_sql_dataset_close, error, PX_TEXT (name))
                                : px_tmdb_query (cli->db, px_sql_block_close, error, PX_TEXT (name));
  if (!r)
    return FALSE;
  if (px_rows_int (r, 0, "found") == 0)
    return px_cli_fail (error, "no %s %s", dataset ? "dataset" : "block", name);
  if (!px_cli_audit (cli, dataset ? "dataset close" : "block close", error, dataset ? "dataset" : "block", name, NULL))
    return FALSE;
  gboolean was_open = px_rows_int (r, 0, "closed") > 0;
  if (dataset)
    printf ("%s %s (%" G_GINT64_FORMAT " open block%s closed)\n", was_open ? "closed" : "already closed:", name,
            px_rows_int (r, 0, "blocks"), px_rows_int (r, 0, "blocks") == 1 ? "" : "s");
  else
    printf ("%s %s\n", was_open ? "closed" : "already closed:", name);
  return TRUE;
}

gboolean
px_cmd_block (PxCli *cli, int argc, char **argv, GError **error)
{
  return close_cmd (cli, FALSE, argc, argv, error);
}

gboolean
px_cmd_dataset (PxCli *cli, int argc, char **argv, GError **error)
{
  return close_cmd (cli, TRUE, argc, argv, error);
}
