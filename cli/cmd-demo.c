/* phedex demo — runs etc/phedex-demo (a private PostgreSQL, three sites,
 * real files, all agents as separate processes).  The orchestration is a
 * shell script because it is mostly starting programs: initdb, pg_ctl,
 * phedex and phedex-agent; the end-to-end tests share its helpers. */
#include "config.h"
#include "cli.h"
#include <unistd.h>
#include <errno.h>

gboolean
px_cmd_demo (PxCli *cli, int argc, char **argv, GError **error)
{
  const char *dir = g_getenv ("PHEDEX_DATADIR");
  g_autofree char *script = g_build_filename (dir ? dir : PX_SRCDIR "/etc", "phedex-demo", NULL);
  if (!g_file_test (script, G_FILE_TEST_IS_REGULAR))
    return px_cli_fail (error, "cannot find '%s' (set PHEDEX_DATADIR to the directory holding phedex-demo)", script);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *bindir = self ? g_path_get_dirname (self) : g_strdup (".");
  g_setenv ("PHEDEX_BINDIR", bindir, TRUE);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "/bin/sh");
  g_ptr_array_add (args, script);
  for (int i = 1; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  execv ("/bin/sh", (char **) args->pdata);
  return px_cli_fail (error, "cannot run '%s': %s", script, g_strerror (errno));
}
