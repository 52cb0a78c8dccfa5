/* phedex handoff --node NODE REPORT.xml|DIR... — take production output
 * over from CMSSW job reports (catalog/handoff.c does the work, one report
 * per transaction); this file parses options, walks directories, shows
 * progress and prints the summary. */
#include "catalog/inject.h"
#include "cli-json.h"
#include "catalog/handoff.h"
#include "catalog/jobreport.h"
#include <string.h>
#include <unistd.h>

static int
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
add_path (GPtrArray *reports, const char *path, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (reports, g_strdup (path));
      return;
    }
  g_autoptr(GDir) d = g_dir_open (path, 0, error);
  if (!d)
    return;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *n; (n = g_dir_read_name (d));)
    if (g_str_has_suffix (n, ".xml"))
      g_ptr_array_add (names, g_build_filename (path, n, NULL));
  g_ptr_array_sort (names, by_name);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (reports, g_strdup (names->pdata[i]));
}

gboolean
px_cmd_handoff (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *tfc_path = NULL, *dataset = NULL;
  g_auto(GStrv) bases = NULL;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node where the jobs wrote their output (required)"),
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "dataset of outputs whose report names none (else the LFN "
      "convention)", "/P/E-P-vN/TIER" },
    { "unmerged-base", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bases, "an LFN base of unmerged files, '*' for one "
      "segment; repeat for more (default /store/unmerged/, /store/backfill/*/unmerged/, /store/temp/*/unmerged/)",
      "BASE" },
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc_path, "the node's storage.xml (default: the one its agents uploaded)",
      "FILE" },
    PX_CLI_JSON_ENTRY (cli, "JSON output: the counts and one object per report"),
    { NULL }
  };
  if (!px_cli_parse (cli, "REPORT.xml|DIR...", "Take production output over from CMSSW job reports at NODE: merged "
                     "outputs are checked on the node's storage (size, adler32, cksum) and injected, the merge "
                     "relation to their unmerged inputs recorded; a failed job injects nothing and holds its "
                     "unmerged inputs. One report, one transaction; a report handed in again changes nothing.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || argc < 2)
    return px_cli_usage (cli, error, "--node and at least one REPORT.xml or DIR are required");
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func (g_free);
  for (int i = 1; i < argc; i++)
    {
      add_path (reports, argv[i], error);
      if (error && *error)
        return FALSE;
    }
  g_autoptr(PxTfc) tfc = px_inject_node_tfc (cli->db, cli->node_id, cli->node, tfc_path, error);
  if (!tfc)
    return FALSE;
  PxHandoff h = { (int) cli->node_id, cli->node, tfc,
                  bases ? (const char *const *) bases : px_jobreport_default_unmerged_bases, dataset };
  guint n[4] = { 0 }, rejected = 0, conflicts = 0;
  guint64 files = 0, parents = 0, unmerged = 0, held = 0, closed = 0, subscribed = 0;
  gint64 bytes = 0;
  gboolean tty = isatty (STDERR_FILENO) && !cli->json;
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_object (&j, NULL);
  px_json_string (&j, "node", cli->node);
  px_json_begin_array (&j, "reports");
  static const char *const outcome_names[] = { "injected", "duplicate", "failed-job", "nothing" };
  for (guint i = 0; i < reports->len; i++)
    {
      const char *path = reports->pdata[i];
      if (tty)
        fprintf (stderr, "\rphedex handoff: %u/%u reports\033[K", i, reports->len);
      PxHandoffResult r;
      g_autoptr(GError) e = NULL;
      if (!px_handoff_report (cli->db, &h, path, &r, &e))
        {
          if (e->domain != PX_HANDOFF_ERROR)
            {
              if (tty)
                fputs ("\r\033[K", stderr);
              g_propagate_prefixed_error (error, g_steal_pointer (&e), "%s: ", path);
              return FALSE; /* the database: stop, the reports left are untouched */
            }
          rejected++;
          conflicts += e->code == PX_HANDOFF_ERROR_CONFLICT;
          if (tty)
            fputs ("\r\033[K", stderr);
          px_cli_warn (cli, "rejected %s", e->message);
          px_json_begin_object (&j, NULL);
          px_json_string (&j, "report", path);
          px_json_string (&j, "outcome", e->code == PX_HANDOFF_ERROR_CONFLICT ? "conflict" : "rejected");
          px_json_string (&j, "reason", e->message);
          px_json_end (&j);
          continue;
        }
      n[r.outcome]++;
      files += r.merged_files, bytes += r.merged_bytes, parents += r.merge_parents, unmerged += r.unmerged_files;
      held += r.held, closed += r.blocks_closed, subscribed += r.subscribed;
      if (!cli->json && r.outcome != PX_HANDOFF_INJECTED)
        {
          if (tty)
            fputs ("\r\033[K", stderr);
          printf ("%s: %s%s%s\n", path, outcome_names[r.outcome], r.note ? ": " : "", r.note ? r.note : "");
        }
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "report", path);
      px_json_string (&j, "outcome", outcome_names[r.outcome]);
      px_json_string (&j, "note", r.note);
      px_json_int (&j, "merged_files", r.merged_files);
      px_json_int (&j, "merged_bytes", r.merged_bytes);
      px_json_int (&j, "merge_parents", r.merge_parents);
      px_json_int (&j, "unmerged_files", r.unmerged_files);
      px_json_int (&j, "held", r.held);
      px_json_int (&j, "blocks_closed", r.blocks_closed);
      px_json_int (&j, "subscribed", r.subscribed);
      px_json_int (&j, "outputs_without_lfn", r.skipped_no_lfn);
      px_json_end (&j);
      px_handoff_result_clear (&r);
    }
  if (tty)
    fputs ("\r\033[K", stderr);
  px_json_end (&j);
  px_json_int (&j, "injected", n[PX_HANDOFF_INJECTED]);
  px_json_int (&j, "duplicate", n[PX_HANDOFF_DUPLICATE]);
  px_json_int (&j, "failed_job", n[PX_HANDOFF_FAILED_JOB]);
  px_json_int (&j, "nothing", n[PX_HANDOFF_NOTHING]);
  px_json_int (&j, "rejected", rejected);
  px_json_int (&j, "conflicts", conflicts);
  px_json_int (&j, "blocks_closed", (gint64) closed);
  px_json_int (&j, "subscribed", (gint64) subscribed);
  px_json_int (&j, "merged_files", (gint64) files);
  px_json_int (&j, "merged_bytes", bytes);
  px_json_int (&j, "merge_parents", (gint64) parents);
  px_json_int (&j, "unmerged_files", (gint64) unmerged);
  px_json_int (&j, "held", (gint64) held);
  px_json_end (&j);
  if (!px_cli_audit (cli, "handoff", error, "summary", j.out->str, NULL))
    return FALSE;
  if (cli->json)
    px_json_print (&j);
  else
    {
      g_autofree char *b = px_cli_bytes (bytes);
      printf ("%u injected, %u duplicate, %u failed-job, %u nothing to hand off, %u rejected (%u conflicts) at %s: "
              "%" G_GUINT64_FORMAT " merged files (%s), %" G_GUINT64_FORMAT " merge parents, %" G_GUINT64_FORMAT
              " unmerged files recorded, %" G_GUINT64_FORMAT " held, %" G_GUINT64_FORMAT " blocks closed by a limit, %" G_GUINT64_FORMAT " policy subscriptions\n",
              n[0], n[1], n[2], n[3], rejected, conflicts, cli->node, files, b, parents, unmerged, held, closed, subscribed);
    }
  if (rejected)
    return px_cli_fail (error, "%u of %u reports rejected (nothing written for them)", rejected, reports->len);
  return TRUE;
}
