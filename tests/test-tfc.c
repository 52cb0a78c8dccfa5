/* test-tfc — the TFC engine, table-driven from tests/data/tfc.
 *
 * tests/data/tfc/NAME.xml is a catalogue and NAME.cases its cases, one per
 * line, tab-separated (# comments):
 *   l2p|p2l  PROTOCOL  DEST|-  y|n  INPUT  EXPECTED|!nomatch  [SPACE-TOKEN|-]
 *   rt       PROTOCOL  DEST|-  y|n  LFN     (lfn→pfn→lfn gives LFN back)
 * tests/data/tfc-bad/NAME.xml must fail to load; NAME.err holds a substring
 * the error message must contain (file, line and rule). */
#include "config.h"
#include "lfn2pfn/tfc.h"
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
} Catalogue;

static void
run_case_file (gconstpointer data)
{
  const Catalogue *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (c->xml, &error);
  g_assert_no_error (error);
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
  const char *xml = data;
  g_autofree char *errfile = g_strdup (xml);
  strcpy (errfile + strlen (errfile) - 4, ".err");
  g_autofree char *want = NULL;
  g_assert_true (g_file_get_contents (errfile, &want, NULL, NULL));
  g_strstrip (want);
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (xml, &error);
  g_assert_null (tfc);
  g_assert_nonnull (error);
  if (!strstr (error->message, want))
    g_error ("loading '%s' failed with '%s', expected it to say '%s'", xml, error->message, want);
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
      g_assert_cmpint (px_tfc_mapper_map (m, lfn, out, NULL), ==, PX_TFC_MATCH);
      g_autofree char *want = g_strdup_printf ("srm://se?SFN=/data/x/%d%s.root", i, i % 2 ? "-long-name-long-name" : "");
      g_assert_cmpstr (out->str, ==, want);
    }
  g_assert_cmpint (px_tfc_mapper_map (m, "/other/x.root", out, NULL), ==, PX_TFC_NO_MATCH);
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
  g_ptr_array_sort (names, (GCompareFunc) g_ascii_strcasecmp);
  g_autoptr(GArray) cats = g_array_sized_new (FALSE, TRUE, sizeof (Catalogue), names->len);
  g_array_set_clear_func (cats, NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      Catalogue c = { g_strdup_printf ("%s/%s.xml", dir, n), g_strdup_printf ("%s/%s.cases", dir, n) };
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
  g_autoptr(GPtrArray) bads = g_ptr_array_new ();
  for (const char *n; (n = g_dir_read_name (bd));)
    if (g_str_has_suffix (n, ".xml"))
      {
        char *p = g_build_filename (bad, n, NULL);
        g_ptr_array_add (keep, p);
        g_ptr_array_add (bads, p);
      }
  g_ptr_array_sort (bads, (GCompareFunc) g_ascii_strcasecmp);
  for (guint i = 0; i < bads->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (bads, i));
      g_autofree char *path = g_strdup_printf ("/tfc/bad/%s", base);
      g_test_add_data_func (path, g_ptr_array_index (bads, i), run_bad);
    }
  g_test_add_func ("/tfc/unknown-protocol", test_unknown_protocol);
  g_test_add_func ("/tfc/missing-file", test_missing_file);
  g_test_add_func ("/tfc/mapper-reuse", test_mapper_reuse);
  return g_test_run ();
}
