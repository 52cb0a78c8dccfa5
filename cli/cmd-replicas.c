/* phedex replicas --dataset NAME */
#include "cli-json.h"

gboolean
px_cmd_replicas (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *dataset = NULL;
  GOptionEntry entries[] = {
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "dataset (required)", "NAME" },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "", "List where every file of a dataset is (verified replicas).", entries, &argc, &argv,
                     error))
    return FALSE;
  if (!dataset || argc != 1)
    return px_cli_usage (cli, error, "--dataset is required");
  g_autoptr(PxRows) d = px_tmdb_query (cli->db, px_sql_dataset_id, error, PX_TEXT (dataset));
  g_autoptr(PxRows) r = d ? px_tmdb_query (cli->db, px_sql_replicas_dataset, error, PX_TEXT (dataset)) : NULL;
  if (!r)
    return FALSE;
  if (px_rows_count (d) == 0)
    return px_cli_fail (error, "unknown dataset '%s'", dataset);
  /* One row per replica, ordered by LFN: one entry per file. */
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_array (&j, NULL);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      const char *lfn = px_rows_text (r, i, "lfn");
      gboolean same = i > 0 && g_strcmp0 (px_rows_text (r, i - 1, "lfn"), lfn) == 0;
      if (!cli->json)
        {
          if (!same)
            printf ("%s %s bytes %s\n", lfn, px_rows_text (r, i, "bytes"), px_rows_text (r, i, "checksum"));
          printf ("  %-24s %-4s %s\n", px_rows_text (r, i, "node"), px_rows_text (r, i, "state"),
                  px_rows_text (r, i, "verified"));
          continue;
        }
      if (!same)
        {
          if (i > 0)
            px_json_end (&j), px_json_end (&j);
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "lfn", lfn);
          px_json_int (&j, "bytes", px_rows_int (r, i, "bytes"));
          px_json_string (&j, "checksum", px_rows_text (r, i, "checksum"));
          px_json_string (&j, "block", px_rows_text (r, i, "block"));
          px_json_begin_array (&j, "replicas");
        }
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", px_rows_text (r, i, "node"));
      px_json_string (&j, "state", px_rows_text (r, i, "state"));
      px_json_string (&j, "verified", px_rows_text (r, i, "verified"));
      px_json_end (&j);
    }
  if (cli->json)
    {
      if (px_rows_count (r) > 0)
        px_json_end (&j), px_json_end (&j);
      px_json_end (&j);
      px_json_print (&j);
    }
  return TRUE;
}
