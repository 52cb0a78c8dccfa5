/* test-tfc — the TFC engine, table-driven from tests/data/tfc.
 *
 * tests/data/tfc/NAME.xml is a catalogue and NAME.cases its cases, one per
 * line, tab-separated (# comments):
 *   l2p|p2l  PROTOCOL  DEST|-  y|n  INPUT  EXPECTED|!nomatch  [SPACE-TOKEN|-]
 *   l2p|p2l  PROTOCOL  DEST|-  y|n  INPUT  !error  [SUBSTRING]
 *   rt       PROTOCOL  DEST|-  y|n  LFN     (lfn→pfn→lfn gives LFN back)
 * These catalogues are clean: they load without warnings.
 *
 * tests/data/tfc-bad/NAME.err holds a substring naming file, line and rule.
 * Without NAME.cases, NAME.xml must fail to load with an error containing it.
 * With NAME.cases, NAME.xml must load (as PhEDEx loaded it) with a warning
 * containing it, and the cases show which queries still map and which fail
 * ("!error": the error contains SUBSTRING, by default the .err text). */
#include "config.h"
#include "lfn2pfn/tfc.h"
#include "lfn2pfn/lfn.h"
#include <string.h>

static char *
data_dir (const char *sub)
{
  const char *top = g_getenv ("top_srcdir");
  return g_build_filename (top ? top : ".", "tests", "data", sub, NULL);
}

typedef struct
{
  char *xml;
  char *cases;
  char *err; /* tfc-bad: the expected warning (and default error) text */
} Catalogue;

static void
run_case_file (gconstpointer data)
{
  const Catalogue *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (c->xml, &error);
  g_assert_no_error (error);
  const GPtrArray *warnings = px_tfc_get_warnings (tfc);
  if (!c->err && warnings->len > 0)
    g_error ("%s: unexpected warning '%s'", c->xml, (char *) g_ptr_array_index (warnings, 0));
  if (c->err)
    {
      guint hits = 0;
      for (guint i = 0; i < warnings->len; i++)
        hits += strstr (g_ptr_array_index (warnings, i), c->err) != NULL;
      if (hits != 1)
        g_error ("%s: %u warnings say '%s' (of %u), expected 1", c->xml, hits, c->err, warnings->len);
    }
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (c->cases, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;
  for (guint i = 0; lines[i]; i++)
    {
      const char *line = lines[i];
      if (!*line || line[0] == '#')
        continue;
      g_auto(GStrv) f = g_strsplit (line, "\t", -1);
      guint nf = g_strv_length (f);
      if (nf < 5)
        g_error ("%s:%u: malformed case line '%s'", c->cases, i + 1, line);
      const char *dest = strcmp (f[2], "-") == 0 ? NULL : f[2];
      gboolean cust = strcmp (f[3], "y") == 0;
      g_autofree char *where = g_strdup_printf ("%s:%u", c->cases, i + 1);
      n++;
      if (strcmp (f[0], "rt") == 0)
        {
          g_autofree char *pfn = px_tfc_map_one (tfc, PX_TFC_LFN_TO_PFN, f[1], dest, cust, f[4], NULL, &error);
          if (!pfn)
            g_error ("%s: round trip lfn2pfn of '%s' failed: %s", where, f[4], error->message);
          g_autofree char *lfn = px_tfc_map_one (tfc, PX_TFC_PFN_TO_LFN, f[1], dest, cust, pfn, NULL, &error);
          if (!lfn)
            g_error ("%s: round trip pfn2lfn of '%s' failed: %s", where, pfn, error->message);
          if (strcmp (lfn, f[4]) != 0)
            g_error ("%s: round trip '%s' -> '%s' -> '%s'", where, f[4], pfn, lfn);
          continue;
        }
      if (nf < 6)
        g_error ("%s: malformed case line '%s'", where, line);
      PxTfcDirection dir = strcmp (f[0], "l2p") == 0 ? PX_TFC_LFN_TO_PFN : PX_TFC_PFN_TO_LFN;
      if (strcmp (f[0], "l2p") != 0 && strcmp (f[0], "p2l") != 0)
        g_error ("%s: unknown case kind '%s'", where, f[0]);
      g_autofree char *token = NULL;
      g_autofree char *got = px_tfc_map_one (tfc, dir, f[1], dest, cust, f[4], &token, &error);
      if (strcmp (f[5], "!error") == 0)
        {
          const char *want = nf > 6 ? f[6] : c->err;
          g_assert_nonnull (want);
          if (got)
            g_error ("%s: expected '%s' to fail, got '%s'", where, f[4], got);
          if (!strstr (error->message, want))
            g_error ("%s: '%s' failed with '%s', expected it to say '%s'", where, f[4], error->message, want);
          g_clear_error (&error);
          continue;
        }
      if (strcmp (f[5], "!nomatch") == 0)
        {
          if (got)
            g_error ("%s: expected no match for '%s', got '%s'", where, f[4], got);
          g_assert_error (error, PX_TFC_ERROR, PX_TFC_ERROR_NO_MATCH);
          g_clear_error (&error);
          continue;
        }
      if (!got)
        g_error ("%s: '%s' did not map: %s", where, f[4], error->message);
      if (strcmp (got, f[5]) != 0)
        g_error ("%s: '%s' mapped to '%s', expected '%s'", where, f[4], got, f[5]);
      if (nf > 6)
        {
          const char *want_tok = strcmp (f[6], "-") == 0 ? NULL : f[6];
          if (g_strcmp0 (token, want_tok) != 0)
            g_error ("%s: space token '%s', expected '%s'", where, token ? token : "(none)",
                     want_tok ? want_tok : "(none)");
        }
    }
  g_assert_cmpuint (n, >, 0);
}

static void
run_bad (gconstpointer data)
{
  const Catalogue *c = data;
  if (c->cases)
    {
      run_case_file (c);
      return;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (c->xml, &error);
  g_assert_null (tfc);
  g_assert_nonnull (error);
  if (!strstr (error->message, c->err))
    g_error ("loading '%s' failed with '%s', expected it to say '%s'", c->xml, error->message, c->err);
}

static void
test_unknown_protocol (void)
{
  g_autofree char *dir = data_dir ("tfc");
  g_autofree char *xml = g_build_filename (dir, "t1-disk-tape.xml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (xml, &error);
  g_assert_no_error (error);
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, "nosuch", NULL, FALSE, &error);
  g_assert_null (m);
  g_assert_error (error, PX_TFC_ERROR, PX_TFC_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "'nosuch'"));
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file ("/nonexistent/storage.xml", &error);
  g_assert_null (tfc);
  g_assert_error (error, PX_TFC_ERROR, PX_TFC_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "cannot read '/nonexistent/storage.xml'"));
}

/* A mapper reused for many names gives each its own answer (no state leaks
 * between names, scratch strings reused). */
static void
test_mapper_reuse (void)
{
  const char *xml = "<storage-mapping>"
                    "<lfn-to-pfn protocol='direct' path-match='/+store/(.*)' result='/data/$1'/>"
                    "<lfn-to-pfn protocol='srm' chain='direct' path-match='(.*)' result='srm://se?SFN=$1'/>"
                    "</storage-mapping>";
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_data (xml, strlen (xml), "inline", &error);
  g_assert_no_error (error);
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, "srm", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr(GString) out = g_string_new (NULL);
  for (int i = 0; i < 1000; i++)
    {
      g_autofree char *lfn = g_strdup_printf ("//store/x/%d%s.root", i, i % 2 ? "-long-name-long-name" : "");
      g_assert_cmpint (px_tfc_mapper_map (m, lfn, out, NULL, &error), ==, PX_TFC_MATCH);
      g_autofree char *want = g_strdup_printf ("srm://se?SFN=/data/x/%d%s.root", i, i % 2 ? "-long-name-long-name" : "");
      g_assert_cmpstr (out->str, ==, want);
    }
  g_assert_cmpint (px_tfc_mapper_map (m, "/other/x.root", out, NULL, &error), ==, PX_TFC_NO_MATCH);
  g_assert_no_error (error);
}

/* px_lfn_validate: what may and may not reach a PFN. */
static const struct
{
  const char *lfn;
  gssize len;        /* -1: NUL-terminated */
  const char *error; /* NULL: valid; else a substring of the message */
} lfn_cases[] = {
  { "/store/data/Run2012A/SingleMu/AOD/22Jan2013-v1/20000/0A1B.root", -1, NULL },
  { "/store/user/jdoe/a..b/..x/x../...", -1, NULL },
  { "/store/./x.root", -1, NULL },
  { "store/x", -1, NULL },
  { "/store/x\\n.root", -1, NULL }, /* a backslash and an n: fine */
  { "/store/\xc3\xa9t\xc3\xa9.root", -1, NULL },
  { "/store/../etc/passwd", -1, "invalid LFN '/store/../etc/passwd': '..' path segment" },
  { "../x.root", -1, "'..' path segment" },
  { "/store/mc/..", -1, "'..' path segment" },
  { "..", -1, "'..' path segment" },
  { "//store//..//x", -1, "'..' path segment" },
  { "", -1, "invalid LFN '': empty name" },
  { "/store/x\n.root", -1, "invalid LFN '/store/x\\x0a.root': control character at byte 8" },
  { "/store/\tx", -1, "control character at byte 7" },
  { "/store/x\x7f", -1, "control character at byte 8" },
  { "/store/\x01", -1, "control character at byte 7" },
  { "/store/a\0b.root", 15, "invalid LFN '/store/a\\x00b.root': NUL at byte 8" },
  { "/store/a\0b.root", 8, NULL }, /* the length given stops before the NUL */
};

static void
test_lfn_validate (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (lfn_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = px_lfn_validate (lfn_cases[i].lfn, lfn_cases[i].len, &error);
      if (!lfn_cases[i].error)
        {
          if (!ok)
            g_error ("case %zu: '%s' refused: %s", i, lfn_cases[i].lfn, error->message);
          continue;
        }
      if (ok)
        g_error ("case %zu: '%s' accepted, expected '%s'", i, lfn_cases[i].lfn, lfn_cases[i].error);
      g_assert_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID);
      if (!strstr (error->message, lfn_cases[i].error))
        g_error ("case %zu: '%s' refused with '%s', expected it to say '%s'", i, lfn_cases[i].lfn, error->message,
                 lfn_cases[i].error);
    }
}

/* The bound is PX_LFN_MAX_LEN bytes: that many pass, one more does not, and
 * the message does not carry a 4 KB name. */
static void
test_lfn_validate_length (void)
{
  g_autoptr(GString) lfn = g_string_new ("/store/");
  while (lfn->len < PX_LFN_MAX_LEN)
    g_string_append_c (lfn, 'a');
  g_autoptr(GError) error = NULL;
  g_assert_true (px_lfn_validate (lfn->str, -1, &error));
  g_assert_no_error (error);
  g_string_append_c (lfn, 'a');
  g_assert_false (px_lfn_validate (lfn->str, -1, &error));
  g_assert_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "4097 bytes long; at most 4096 allowed"));
  g_assert_cmpuint (strlen (error->message), <, 400);
}

/* lfn-to-pfn refuses what px_lfn_validate refuses before any rule, however
 * permissive the catalogue; pfn-to-lfn input is a PFN and is not checked. */
static void
test_map_refuses_bad_lfn (void)
{
  const char *xml = "<storage-mapping>"
                    "<lfn-to-pfn protocol='direct' path-match='(.*)' result='/data$1'/>"
                    "<pfn-to-lfn protocol='direct' path-match='/data(.*)' result='$1'/>"
                    "</storage-mapping>";
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_data (xml, strlen (xml), "inline", &error);
  g_assert_no_error (error);
  g_autofree char *pfn = px_tfc_map_one (tfc, PX_TFC_LFN_TO_PFN, "direct", NULL, FALSE, "/store/../../etc/x", NULL,
                                         &error);
  g_assert_null (pfn);
  g_assert_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "invalid LFN '/store/../../etc/x': '..' path segment");
  g_clear_error (&error);
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, "direct", NULL, FALSE, &error);
  g_autoptr(GString) out = g_string_new (NULL);
  g_assert_cmpint (px_tfc_mapper_map (m, "/store/a\\tb", out, NULL, &error), ==, PX_TFC_MATCH);
  g_string_assign (out, "untouched");
  g_assert_cmpint (px_tfc_mapper_map (m, "/store/\x1b[2J", out, NULL, &error), ==, PX_TFC_FAILED);
  g_assert_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID);
  g_assert_cmpstr (out->str, ==, "untouched");
  g_clear_error (&error);
  g_autofree char *lfn = px_tfc_map_one (tfc, PX_TFC_PFN_TO_LFN, "direct", NULL, FALSE, "/data/a/../b", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lfn, ==, "/a/../b");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = data_dir ("tfc");
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (const char *n; (n = g_dir_read_name (d));)
    if (g_str_has_suffix (n, ".cases"))
      g_ptr_array_add (names, g_strndup (n, strlen (n) - 6));
  g_ptr_array_sort (names, compare_names);
  g_autoptr(GArray) cats = g_array_sized_new (FALSE, TRUE, sizeof (Catalogue), names->len);
  g_array_set_clear_func (cats, NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      Catalogue c = { g_strdup_printf ("%s/%s.xml", dir, n), g_strdup_printf ("%s/%s.cases", dir, n), NULL };
      g_ptr_array_add (keep, c.xml);
      g_ptr_array_add (keep, c.cases);
      g_array_append_val (cats, c);
    }
  for (guint i = 0; i < cats->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/tfc/cases/%s", (char *) g_ptr_array_index (names, i));
      g_test_add_data_func (path, &g_array_index (cats, Catalogue, i), run_case_file);
    }

  g_autofree char *bad = data_dir ("tfc-bad");
  g_autoptr(GDir) bd = g_dir_open (bad, 0, NULL);
  g_assert_nonnull (bd);
  g_autoptr(GPtrArray) bads = g_ptr_array_new_with_free_func (g_free);
  for (const char *n; (n = g_dir_read_name (bd));)
    if (g_str_has_suffix (n, ".xml"))
      g_ptr_array_add (bads, g_strndup (n, strlen (n) - 4));
  g_ptr_array_sort (bads, compare_names);
  g_autoptr(GArray) badcats = g_array_sized_new (FALSE, TRUE, sizeof (Catalogue), bads->len);
  for (guint i = 0; i < bads->len; i++)
    {
      const char *n = g_ptr_array_index (bads, i);
      Catalogue c = { g_strdup_printf ("%s/%s.xml", bad, n), g_strdup_printf ("%s/%s.cases", bad, n), NULL };
      g_autofree char *errfile = g_strdup_printf ("%s/%s.err", bad, n);
      if (!g_file_get_contents (errfile, &c.err, NULL, NULL))
        g_error ("%s: missing (the expected error or warning)", errfile);
      g_strstrip (c.err);
      if (!g_file_test (c.cases, G_FILE_TEST_EXISTS))
        g_clear_pointer (&c.cases, g_free);
      g_ptr_array_add (keep, c.xml);
      g_ptr_array_add (keep, c.cases);
      g_ptr_array_add (keep, c.err);
      g_array_append_val (badcats, c);
    }
  for (guint i = 0; i < bads->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/tfc/bad/%s.xml", (char *) g_ptr_array_index (bads, i));
      g_test_add_data_func (path, &g_array_index (badcats, Catalogue, i), run_bad);
    }
  g_test_add_func ("/tfc/unknown-protocol", test_unknown_protocol);
  g_test_add_func ("/tfc/missing-file", test_missing_file);
  g_test_add_func ("/tfc/mapper-reuse", test_mapper_reuse);
  g_test_add_func ("/lfn/validate", test_lfn_validate);
  g_test_add_func ("/lfn/validate-length", test_lfn_validate_length);
  g_test_add_func ("/lfn/map-refuses-bad-lfn", test_map_refuses_bad_lfn);
  return g_test_run ();
}
