/* test-config — etc/site.conf documents every key of the site config table
 * (PgBouncer's optscan idea), and the loader refuses unknown keys. */
#include "config.h"
#include "agents/agent.h"
#include <string.h>
#include <glib/gstdio.h>
#include "common/px-checksum.h"

static char *
example (void)
{
  const char *top = g_getenv ("top_srcdir");
  return g_build_filename (top ? top : ".", "etc", "site.conf", NULL);
}

static void
test_every_key_documented (void)
{
  g_autofree char *path = example ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PxConfig) cfg = px_config_load (path, px_site_config_tables, &error);
  g_assert_no_error (error);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL));
  for (const PxConfigKey *const *t = px_site_config_tables; *t; t++)
    for (const PxConfigKey *k = *t; k->group; k++)
    {
      if (!g_key_file_has_key (kf, k->group, k->key, NULL))
        g_error ("key [%s] %s is missing from etc/site.conf", k->group, k->key);
      g_autofree char *comment = g_key_file_get_comment (kf, k->group, k->key, NULL);
      if (!comment || strlen (comment) < 10)
        g_error ("key [%s] %s has no comment in etc/site.conf", k->group, k->key);
      if (k->def && strcmp (k->group, "site") != 0)
        {
          g_autofree char *v = g_key_file_get_string (kf, k->group, k->key, NULL);
          g_assert_cmpstr (v, ==, k->def);
        }
    }
}

static void
test_unknown_key_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("phedex-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "site.conf", NULL);
  g_assert_true (g_file_set_contents (path, "[site]\nnode = X\nstorage-xml = /s.xml\nbatchsize = 3\n", -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(PxConfig) cfg = px_config_load (path, px_site_config_tables, &error);
  g_assert_null (cfg);
  g_assert_nonnull (strstr (error->message, "unknown key 'batchsize' in group [site]"));
  g_assert_true (g_file_set_contents (path, "[site]\nnode = X\n", -1, NULL));
  g_clear_error (&error);
  cfg = px_config_load (path, px_site_config_tables, &error);
  g_assert_null (cfg);
  g_assert_nonnull (strstr (error->message, "required key 'storage-xml' missing"));
  g_assert_true (g_file_set_contents (path, "[site]\nnode = X\nstorage-xml = /s\npoll-interval = soon\n", -1, NULL));
  g_clear_error (&error);
  cfg = px_config_load (path, px_site_config_tables, &error);
  g_assert_null (cfg);
  g_assert_nonnull (strstr (error->message, "'soon' is not a whole number"));
  g_assert_true (g_file_set_contents (path, "[site]\nnode = X\nstorage-xml = /s\n[download]\nbatch = -5\n", -1, NULL));
  g_clear_error (&error);
  cfg = px_config_load (path, px_site_config_tables, &error);
  g_assert_null (cfg);
  g_assert_nonnull (strstr (error->message, "[download] batch = '-5' is not a whole number of at least 1"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_checksum_format (void)
{
  PxChecksum c;
  px_checksum_init (&c);
  px_checksum_update (&c, "hello\n", 6);
  g_autofree char *s = px_checksum_format (&c);
  /* adler32 from zlib; cksum as coreutils' `cksum` prints it */
  g_assert_cmpstr (s, ==, "adler32:084b021f,cksum:3015617425");
  g_autofree char *why = NULL;
  g_autofree char *n = px_checksum_normalise ("ADLER32:84B021F", &why);
  g_assert_cmpstr (n, ==, "adler32:084b021f");
  g_assert_true (px_checksum_matches ("adler32:084b021f", s, &why));
  g_assert_false (px_checksum_matches ("adler32:084b0210", s, &why));
  g_assert_nonnull (strstr (why, "adler32 mismatch"));
  g_free (why);
  why = NULL;
  g_assert_null (px_checksum_normalise ("md5:abc", &why));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/every-key-documented", test_every_key_documented);
  g_test_add_func ("/config/unknown-key-refused", test_unknown_key_refused);
  g_test_add_func ("/checksum/format", test_checksum_format);
  return g_test_run ();
}
