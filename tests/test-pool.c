/* test-pool — the POOL XML catalogue reader (catalog/pool-read.c): what it
 * reads, what it refuses, and that it reads back what the writer wrote. */
#include "config.h"
#include "catalog/pool.h"
#include <string.h>
#include <glib/gstdio.h>

static GPtrArray *
parse (const char *xml, GError **error)
{
  return px_pool_parse (xml, strlen (xml), "cat.xml", error);
}

static void
test_reads_files (void)
{
  static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n"
                            "<!DOCTYPE POOLFILECATALOG SYSTEM \"InMemory\">\n"
                            "<POOLFILECATALOG>\n"
                            "  <META name=\"Content\" type=\"string\"/>\n"
                            "  <File ID=\"A\">\n"
                            "    <physical><pfn filetype=\"ROOT_All\" name=\"file:a.root\"/>"
                            "<pfn filetype=\"ROOT_All\" name=\"/d/a.root\"/></physical>\n"
                            "    <logical><lfn name=\"/store/a.root\"/></logical>\n"
                            "    <metadata att_name=\"fsize\" att_value=\"3\"/>\n"
                            "  </File>\n"
                            "  <File ID=\"B\"><physical><pfn name=\"x&amp;y\"/></physical><logical/></File>\n"
                            "</POOLFILECATALOG>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = parse (xml, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 2);
  const PxPoolFile *a = files->pdata[0], *b = files->pdata[1];
  g_assert_cmpstr (a->guid, ==, "A");
  g_assert_cmpuint (g_strv_length (a->pfns), ==, 2);
  g_assert_cmpstr (a->pfns[0], ==, "file:a.root");
  g_assert_cmpstr (a->pfns[1], ==, "/d/a.root");
  g_assert_cmpuint (g_strv_length (a->lfns), ==, 1);
  g_assert_cmpstr (a->lfns[0], ==, "/store/a.root");
  g_assert_cmpstr (b->guid, ==, "B");
  g_assert_cmpstr (b->pfns[0], ==, "x&y");
  g_assert_null (b->lfns[0]);
}

static void
test_refuses (void)
{
  static const struct
  {
    const char *xml, *message;
  } cases[] = {
    { "", "cat.xml:1: not well-formed XML: " },
    { "<POOLFILECATALOG><File ID=\\\"x\\\"/></POOLFILECATALOG>", "cat.xml:1: not well-formed XML: " },
    { "<POOLFILECATALOG><File ID='x'>", "cat.xml:1: not well-formed XML: " },
    { "<catalog/>", "cat.xml: root element must be <POOLFILECATALOG>, not <catalog>" },
    { "<POOLFILECATALOG><file ID='x'/></POOLFILECATALOG>", "cat.xml:1: expected <File>, found <file>" },
    { "<POOLFILECATALOG>\n<File/></POOLFILECATALOG>", "cat.xml:2: <File> needs a ID attribute" },
    { "<POOLFILECATALOG><File ID=''/></POOLFILECATALOG>", "cat.xml:1: <File> needs a ID attribute" },
    { "<POOLFILECATALOG><File ID='x'><physical><pfn/></physical></File></POOLFILECATALOG>",
      "cat.xml:1: <pfn> needs a name attribute" },
    { "<POOLFILECATALOG><File ID='x'><physical><lfn name='a'/></physical></File></POOLFILECATALOG>",
      "cat.xml:1: expected <pfn>, found <lfn>" },
    { "<POOLFILECATALOG><File ID='x'><other/></File></POOLFILECATALOG>",
      "cat.xml:1: expected <physical>, <logical> or <metadata>, found <other>" },
    { "<POOLFILECATALOG><File ID='x'/>\n<File ID='x'/></POOLFILECATALOG>", "cat.xml:2: File ID 'x' appears twice" },
    { "<!DOCTYPE POOLFILECATALOG [\n<!ENTITY a 'aaaaaaaa'>\n<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>\n]>\n"
      "<POOLFILECATALOG><File ID='&b;'/></POOLFILECATALOG>",
      "cat.xml:2: entity declarations are not allowed (<!ENTITY a>)" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) files = parse (cases[i].xml, &error);
      g_assert_null (files);
      g_assert_nonnull (error);
      g_assert_true (error->domain == PX_POOL_ERROR);
      if (!g_str_has_prefix (error->message, cases[i].message))
        g_error ("case %zu: '%s' does not start with '%s'", i, error->message, cases[i].message);
    }
  g_autoptr(GError) error = NULL;
  g_assert_null (px_pool_parse_file ("/nonexistent/cat.xml", &error));
  g_assert_cmpstr (error->message, ==, "cannot read '/nonexistent/cat.xml': no such file");
}

/* px_pool_write, then px_pool_parse_file: the same GUIDs, LFNs and PFNs
 * (names with XML's special characters and UTF-8 too). */
static void
test_round_trip (void)
{
  const char *top = g_getenv ("top_srcdir");
  g_autofree char *tfc_path = g_build_filename (top ? top : ".", "etc", "storage.xml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (tfc_path, &error);
  g_assert_no_error (error);
  const char *lfns[] = { "/store/data/Run2024A/RAW/000/1.root", "/store/mc/a&b<c>\"d'.root", "/store/user/é/ü.root",
                         "/unmapped/x", NULL };
  g_autofree char *dir = g_dir_make_tmp ("test-pool-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "cat.xml", NULL);
  guint written = 0, unmapped = 0;
  g_assert_true (px_pool_write (path, lfns, tfc, "direct", "T1_XX_Site", &written, &unmapped, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, 3);
  g_assert_cmpuint (unmapped, ==, 1);
  g_autoptr(GPtrArray) files = px_pool_parse_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 3);
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, "direct", "T1_XX_Site", FALSE, &error);
  g_autoptr(GString) pfn = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    {
      const PxPoolFile *f = files->pdata[i];
      g_autofree char *guid = px_pool_guid (lfns[i]);
      g_assert_cmpint (px_tfc_mapper_map (m, lfns[i], pfn, NULL, NULL), ==, PX_TFC_MATCH);
      g_assert_cmpstr (f->guid, ==, guid);
      g_assert_cmpuint (g_strv_length (f->lfns), ==, 1);
      g_assert_cmpstr (f->lfns[0], ==, lfns[i]);
      g_assert_cmpuint (g_strv_length (f->pfns), ==, 1);
      g_assert_cmpstr (f->pfns[0], ==, pfn->str);
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pool/reads-files", test_reads_files);
  g_test_add_func ("/pool/refuses", test_refuses);
  g_test_add_func ("/pool/round-trip", test_round_trip);
  return g_test_run ();
}
