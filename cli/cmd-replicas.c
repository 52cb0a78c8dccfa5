/* phedex replicas --dataset NAME */
#include "cli.h"

int
px_cmd_replicas (int argc, char **argv)
{
  g_autofree char *db = NULL, *dataset = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "dataset", 'D', 0, G_OPTION_ARG_STRING, &dataset, "dataset (required)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  if (!px_cli_parse ("replicas", "", "List where every file of a dataset is (verified replicas).", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!dataset || argc != 1)
    {
      px_cli_error ("replicas", "--dataset is required\nTry 'phedex replicas -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("replicas", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) d = px_tmdb_run (tmdb, "dataset_id", &error, dataset);
  g_autoptr(PxRows) r = d ? px_tmdb_run (tmdb, "replicas_dataset", &error, dataset) : NULL;
  if (!r)
    {
      px_cli_error ("replicas", "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  if (px_rows_count (d) == 0)
    {
      px_cli_error ("replicas", "unknown dataset '%s'", dataset);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(GString) out = g_string_new (NULL);
  const char *last = NULL;
  guint files = 0;
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      const char *lfn = px_rows_get (r, i, 0);
      gboolean same = last && g_strcmp0 (last, lfn) == 0;
      if (json)
        {
          if (!same)
            {
              g_string_append (out, files ? "]},\n {\"lfn\": " : "[\n {\"lfn\": ");
              px_json_append_string (out, lfn);
              g_string_append_printf (out, ", \"bytes\": %s, \"checksum\": ", px_rows_get (r, i, 1));
              px_json_append_string (out, px_rows_get (r, i, 2));
              g_string_append (out, ", \"block\": ");
              px_json_append_string (out, px_rows_get (r, i, 3));
              g_string_append (out, ", \"replicas\": [");
            }
          else
            g_string_append (out, ", ");
          g_string_append (out, "{\"node\": ");
          px_json_append_string (out, px_rows_get (r, i, 4));
          g_string_append (out, ", \"state\": ");
          px_json_append_string (out, px_rows_get (r, i, 5));
          g_string_append (out, ", \"verified\": ");
          px_json_append_string (out, px_rows_get (r, i, 6));
          g_string_append (out, "}");
        }
      else
        {
          if (!same)
            g_string_append_printf (out, "%s %s bytes %s\n", lfn, px_rows_get (r, i, 1), px_rows_get (r, i, 2));
          g_string_append_printf (out, "  %-24s %-4s %s\n", px_rows_get (r, i, 4), px_rows_get (r, i, 5),
                                  px_rows_get (r, i, 6));
        }
      files += !same;
      last = lfn;
    }
  if (json)
    g_string_append (out, files ? "]}\n]\n" : "[]\n");
  fputs (out->str, stdout);
  return PX_EXIT_OK;
}
