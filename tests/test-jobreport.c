/* test-jobreport — the FrameworkJobReport reader (catalog/jobreport.c) on
 * our own reports in the cmsRun and ProdAgent shapes (tests/data/jobreports),
 * the real reports of the shared corpus when it is there, the CMS LFN
 * convention for datasets and the unmerged bases. */
#include "config.h"
#include "catalog/jobreport.h"
#include <string.h>

static char *
data_path (const char *name)
{
  const char *top = g_getenv ("top_srcdir");
  return g_build_filename (top ? top : ".", "tests", "data", "jobreports", name, NULL);
}

static PxJobReport *
load (const char *name, GError **error)
{
  g_autofree char *path = data_path (name);
  return px_jobreport_parse_file (path, error);
}

static void
test_cmsrun_merge (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxJobReport) r = load ("cmsrun-merge.xml", &error);
  g_assert_no_error (error);
  g_assert_null (px_jobreport_failure (r));
  g_assert_cmpuint (px_jobreport_n_inputs (r), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const PxJobReportInput *in = px_jobreport_input (r, i);
      g_assert_cmpint (in->type, ==, PX_JOBREPORT_PRIMARY);
      g_assert_true (g_str_has_prefix (in->lfn, "/store/unmerged/Run2024C/"));
      g_assert_cmpstr (in->source_class, ==, "PoolSource");
      g_assert_true (px_jobreport_under_bases (in->lfn, px_jobreport_default_unmerged_bases));
    }
  g_assert_cmpuint (px_jobreport_n_outputs (r), ==, 1);
  const PxJobReportFile *f = px_jobreport_output (r, 0);
  g_assert_cmpstr (f->lfn, ==, "/store/data/Run2024C/SingleMuon/AOD/PromptReco-v1/2820000/Merged.root");
  g_assert_cmpstr (f->guid, ==, "468279CA-66D0-4042-B814-14BA88515A17");
  g_assert_cmpstr (f->module, ==, "Merged");
  g_assert_cmpstr (f->output_class, ==, "PoolOutputModule");
  g_assert_cmpstr (f->data_type, ==, "Data");
  g_assert_cmpint (f->events, ==, 300);
  g_assert_cmpuint (f->runs, ==, 1);
  g_assert_cmpuint (f->lumis, ==, 15);
  g_assert_false (f->have_bytes);
  g_assert_null (f->checksum);
  g_assert_null (f->dataset);
  g_assert_cmpuint (g_strv_length ((char **) f->inputs), ==, 3);
  g_autofree char *ds = px_jobreport_lfn_dataset (f->lfn);
  g_assert_cmpstr (ds, ==, "/SingleMuon/Run2024C-PromptReco-v1/AOD");
  g_assert_false (px_jobreport_under_bases (f->lfn, px_jobreport_default_unmerged_bases));
}

static void
test_cmsrun_pileup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxJobReport) r = load ("cmsrun-pileup.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (px_jobreport_n_inputs (r), ==, 3);
  g_assert_cmpint (px_jobreport_input (r, 0)->type, ==, PX_JOBREPORT_MIXING);
  g_assert_cmpint (px_jobreport_input (r, 1)->type, ==, PX_JOBREPORT_PRIMARY);
  g_assert_cmpint (px_jobreport_input (r, 2)->type, ==, PX_JOBREPORT_SECONDARY);
  g_assert_cmpuint (px_jobreport_n_outputs (r), ==, 2);
  g_assert_true (px_jobreport_under_bases (px_jobreport_output (r, 0)->lfn, px_jobreport_default_unmerged_bases));
  g_assert_cmpstr (px_jobreport_output (r, 1)->lfn, ==, "");
  g_assert_cmpstr (px_jobreport_output (r, 1)->pfn, ==, "DQMoutput.root");
  g_assert_cmpint (px_jobreport_output (r, 1)->events, ==, 0);
}

static void
test_failures (void)
{
  static const struct
  {
    const char *file, *failure;
    guint outputs;
  } cases[] = {
    { "cmsrun-failed-merge.xml", "FrameworkError ExitStatus=8021 Type=FileReadError", 1 },
    { "prodagent-failed.xml", "ExitCode 60307", 1 },
    { "prodagent-merge.xml", NULL, 1 },
    { "cmsrun-empty.xml", NULL, 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PxJobReport) r = load (cases[i].file, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (px_jobreport_failure (r), ==, cases[i].failure);
      g_assert_cmpuint (px_jobreport_n_outputs (r), ==, cases[i].outputs);
    }
  /* a status other than success alone */
  static const char st[] = "<FrameworkJobReport Status=\"Failed\"/>";
  g_autoptr(GError) error = NULL;
  g_autoptr(PxJobReport) r = px_jobreport_parse_data (st, strlen (st), "st.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (px_jobreport_failure (r), ==, "Status Failed");
}

static void
test_prodagent (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxJobReport) r = load ("prodagent-merge.xml", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (px_jobreport_job_type (r), ==, "Merge");
  const PxJobReportFile *f = px_jobreport_output (r, 0);
  g_assert_true (f->have_bytes);
  g_assert_cmpuint (f->bytes, ==, 1048576);
  g_assert_cmpstr (f->checksum, ==, "adler32:1b2c0f0e,cksum:2051147330");
  g_assert_cmpstr (f->dataset, ==, "/RelValTTbar/CMSSW_3_1_0-MC_31X_V1-v1/GEN-SIM-RECO");
  g_assert_cmpuint (f->lumis, ==, 2);
  g_assert_cmpint (px_jobreport_input (r, 0)->type, ==, PX_JOBREPORT_PRIMARY);
}

static void
test_refuses (void)
{
  static const struct
  {
    const char *xml, *message;
  } cases[] = {
    { "", "r.xml:1: " },
    { "<FrameworkJobReport>\n<File>\n<LFN>/store/a</LFN>", "r.xml:3: " },
    { "<data/>", "r.xml: root element must be <FrameworkJobReport>, not <data>" },
    { "<FrameworkJobReport>\n<File><Size>12x</Size></File></FrameworkJobReport>",
      "r.xml:2: <Size> '12x' is not a size in bytes" },
    { "<FrameworkJobReport><File>\n<TotalEvents>-1</TotalEvents></File></FrameworkJobReport>",
      "r.xml:2: <TotalEvents> '-1' is not a number of events" },
    { "<FrameworkJobReport><File><Checksum Algorithm='md5'>x</Checksum></File></FrameworkJobReport>",
      "r.xml:1: checksum algorithm 'md5' is neither adler32 nor cksum" },
    { "<FrameworkJobReport><File><Checksum Algorithm='adler32'>123456789</Checksum></File></FrameworkJobReport>",
      "r.xml:1: adler32 checksum '123456789' is not 1 to 8 hex digits" },
    { "<FrameworkJobReport><File><Datasets><DatasetInfo><Entry Name='PrimaryDataset'>A</Entry></DatasetInfo>"
      "</Datasets></File></FrameworkJobReport>",
      "r.xml:1: <DatasetInfo> needs PrimaryDataset, ProcessedDataset and DataTier entries without '/'" },
    { "<FrameworkJobReport><ExitCode Value='x'/></FrameworkJobReport>", "r.xml:1: <ExitCode> 'x' is not a number" },
    { "<!DOCTYPE r [<!ENTITY a \"b\">]><FrameworkJobReport/>",
      "r.xml:1: entity declarations are not allowed (<!ENTITY a>)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PxJobReport) r = px_jobreport_parse_data (cases[i].xml, strlen (cases[i].xml), "r.xml", &error);
      g_assert_null (r);
      g_assert_nonnull (error);
      g_assert_true (error->domain == PX_JOBREPORT_ERROR);
      if (!g_str_has_prefix (error->message, cases[i].message))
        g_error ("case %zu: got '%s', want '%s...'", i, error->message, cases[i].message);
    }
  /* a truncated report: file, line and libxml2's message */
  g_autoptr(GError) error = NULL;
  g_autoptr(PxJobReport) r = load ("cmsrun-truncated.xml", &error);
  g_assert_null (r);
  g_assert_error (error, PX_JOBREPORT_ERROR, PX_JOBREPORT_ERROR_PARSE);
  g_assert_true (strstr (error->message, "cmsrun-truncated.xml:"));
  g_assert_true (strstr (error->message, "Premature end of data") || strstr (error->message, "not closed")
                 || strstr (error->message, "expected"));
}

static void
test_lfn_dataset (void)
{
  static const struct
  {
    const char *lfn, *dataset;
  } cases[] = {
    { "/store/data/Run2022A/SingleMuon/ALCARECO/HcalCalHBHEMuonProducerFilter-27Jun2023-v1/2820000/Merged.root",
      "/SingleMuon/Run2022A-HcalCalHBHEMuonProducerFilter-27Jun2023-v1/ALCARECO" },
    { "/store/backfill/2/WMAgentCommissioining10/MinimumBias/RECO/rereco_GR09_R_34X_V5_All_v1/0000/Merged.root",
      "/MinimumBias/WMAgentCommissioining10-rereco_GR09_R_34X_V5_All_v1/RECO" },
    { "/store/mc/RunIII2024Summer24DRPremix/TTbar/AODSIM/140X_v26-v2/2530000/x.root",
      "/TTbar/RunIII2024Summer24DRPremix-140X_v26-v2/AODSIM" },
    { "/store/data/Run2022A/SingleMuon/ALCARECO/x-v1/notanumber/Merged.root", NULL },
    { "/store/data/A/B/Merged.root", NULL },
    { "/other/data/Run2022A/SingleMuon/ALCARECO/x-v1/0000/Merged.root", NULL },
    { "/store/data//SingleMuon/ALCARECO/x-v1/0000/Merged.root", NULL },
    { "", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *d = px_jobreport_lfn_dataset (cases[i].lfn);
      g_assert_cmpstr (d, ==, cases[i].dataset);
    }
}

static void
test_bases (void)
{
  const char *const *b = px_jobreport_default_unmerged_bases;
  g_assert_true (px_jobreport_under_bases ("/store/unmerged/a/b.root", b));
  g_assert_true (px_jobreport_under_bases ("/store/backfill/2/unmerged/X/RECO/y.root", b));
  g_assert_true (px_jobreport_under_bases ("/store/temp/WMAgent/unmerged/RECO/o.root", b));
  g_assert_false (px_jobreport_under_bases ("/store/unmergedX/a.root", b));
  g_assert_false (px_jobreport_under_bases ("/store/backfill/2/X/RECO/y.root", b));
  g_assert_false (px_jobreport_under_bases ("/store/backfill//unmerged/y.root", b));
  g_assert_false (px_jobreport_under_bases ("/store/unmerged/", b));
  const char *const own[] = { "/store/user/prod/unmerged", "", NULL };
  g_assert_true (px_jobreport_under_bases ("/store/user/prod/unmerged/a.root", own));
  g_assert_false (px_jobreport_under_bases ("/store/user/prod/unmergedX/a.root", own));
}

/* The real reports (tests/../shared/corpus/job-reports, SOURCES.md): what
 * WMCore's own parser test expects of each. */
static void
test_corpus (void)
{
  const char *top = g_getenv ("top_srcdir");
  g_autofree char *dir = g_build_filename (top ? top : ".", "..", "shared", "corpus", "job-reports", NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("the shared corpus of job reports is not there");
      return;
    }
  static const struct
  {
    const char *file;
    gboolean parses;
    const char *failure;
    guint outputs, inputs, primary_unmerged;
  } cases[] = {
    { "CMSSWMergeReport.xml", TRUE, NULL, 1, 2, 2 },
    { "CMSSWMergeReport2.xml", TRUE, NULL, 1, 1, 1 },
    { "CMSSWProcessingReport.xml", TRUE, NULL, 2, 1, 0 },
    { "CMSSWFailReport.xml", TRUE, "FrameworkError ExitStatus=8001 Type=CMSException", 2, 1, 0 },
    { "CMSSWFailReport2.xml", FALSE, NULL, 0, 0, 0 },
    { "CMSSWSkippedNonExistentFile.xml", TRUE, NULL, 6, 1, 0 },
    { "CMSSWPileup.xml", TRUE, NULL, 1, 14, 0 },
    { "CMSSWTwoFileLocal.xml", TRUE, NULL, 1, 2, 0 },
    { "CMSSWSkippedAll.xml", TRUE, NULL, 0, 0, 0 },
    { "CMSSWMultipleInput.xml", TRUE, NULL, 0, 2, 2 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (dir, cases[i].file, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(PxJobReport) r = px_jobreport_parse_file (path, &error);
      if (!cases[i].parses)
        {
          g_assert_error (error, PX_JOBREPORT_ERROR, PX_JOBREPORT_ERROR_PARSE);
          g_assert_true (strstr (error->message, cases[i].file));
          continue;
        }
      if (error)
        g_error ("%s: %s", cases[i].file, error->message);
      g_assert_cmpstr (px_jobreport_failure (r), ==, cases[i].failure);
      g_assert_cmpuint (px_jobreport_n_outputs (r), ==, cases[i].outputs);
      g_assert_cmpuint (px_jobreport_n_inputs (r), ==, cases[i].inputs);
      guint pu = 0;
      for (guint k = 0; k < px_jobreport_n_inputs (r); k++)
        {
          const PxJobReportInput *in = px_jobreport_input (r, k);
          pu += in->type == PX_JOBREPORT_PRIMARY
                && px_jobreport_under_bases (in->lfn, px_jobreport_default_unmerged_bases);
        }
      g_assert_cmpuint (pu, ==, cases[i].primary_unmerged);
      if (strcmp (cases[i].file, "CMSSWSkippedNonExistentFile.xml") == 0)
        for (guint k = 0; k < px_jobreport_n_outputs (r); k++)
          g_assert_cmpstr (px_jobreport_output (r, k)->lfn, ==, "");
      if (strcmp (cases[i].file, "CMSSWMergeReport2.xml") == 0)
        {
          g_autofree char *ds = px_jobreport_lfn_dataset (px_jobreport_output (r, 0)->lfn);
          g_assert_cmpstr (ds, ==, "/SingleMuon/Run2022A-HcalCalHBHEMuonProducerFilter-27Jun2023-v1/ALCARECO");
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jobreport/cmsrun-merge", test_cmsrun_merge);
  g_test_add_func ("/jobreport/cmsrun-pileup", test_cmsrun_pileup);
  g_test_add_func ("/jobreport/failures", test_failures);
  g_test_add_func ("/jobreport/prodagent", test_prodagent);
  g_test_add_func ("/jobreport/refuses", test_refuses);
  g_test_add_func ("/jobreport/lfn-dataset", test_lfn_dataset);
  g_test_add_func ("/jobreport/unmerged-bases", test_bases);
  g_test_add_func ("/jobreport/corpus", test_corpus);
  return g_test_run ();
}
