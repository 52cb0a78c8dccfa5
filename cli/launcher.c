/* launcher.c — the `phedex` program.  It serves the local file commands
 * itself and loads the full command line for everything else.
 *
 * A program linked with libpq, libcurl, libxml2 and Globus (64 shared
 * libraries) spends about 7 ms in the dynamic loader before main, longer
 * than the kernel takes to copy a 20 MB file.  So `phedex` links only GLib,
 * ISA-L and zlib, and runs `checksum` and `transfer` on local PFNs (plain
 * paths, file://, null://: the backends in px_transfer_backends below) with
 * the very code of the full command line: cli/cmd-checksum.c,
 * cli/cmd-transfer.c, libphedex's file, null and command backends.  Any
 * other command line (other commands, -h, a transfer naming a remote URL)
 * goes unchanged to px_cli_module_main in phedex-cli.so (cli/phedex.c),
 * loaded with GModule from, in order: $PHEDEX_LIBDIR alone when set; else
 * the directory of this executable (the build tree); else PX_PKGLIBDIR, where
 * `make install` puts it. */
#include "config.h"
#include "cli.h"
#include "transfer/transfer.h"
#include <gmodule.h>
#include <locale.h>
#include <string.h>

#define MODULE "phedex-cli.so"

/* The backends served here (transfer.h): defining the table in this program
 * keeps libphedex.a's full one (transfer/transfer-backends.c), and with it
 * libcurl and Globus, out of the link. */
const PxTransferBackend *const px_transfer_backends[] = { &px_transfer_file, &px_transfer_null, NULL };

/* The commands served here; their summaries are listed by the full CLI. */
static const PxCommand commands[] = {
  { "checksum", px_cmd_checksum, PX_CLI_NO_SETUP, NULL },
  { "transfer", px_cmd_transfer, PX_CLI_NO_SETUP, NULL },
};

/* The command of ARGV when this program serves it: every argument with a URL
 * scheme (the PFNs) is one of our backends'.  Arguments without a scheme
 * (options, plain paths, relative names) behave the same either way. */
static const PxCommand *
served_here (int argc, char **argv)
{
  const PxCommand *c = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      c = &commands[i];
  if (!c || c->fn != px_cmd_transfer)
    return c;
  for (int i = 2; i < argc; i++)
    if (g_uri_peek_scheme (argv[i]) && !px_transfer_backend_for (argv[i], NULL))
      return NULL;
  return c;
}

static int
run (const PxCommand *command, int argc, char **argv)
{
  px_log_init ("phedex");
  PxCli cli = { .command = command };
  g_autoptr(GError) error = NULL;
  gboolean ok = command->fn (&cli, argc, argv, &error);
  return px_cli_finish (command, ok, error);
}

/* Load phedex-cli.so and run ARGV with it. */
static int
run_module (int argc, char **argv)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *here = self ? g_path_get_dirname (self) : NULL;
  const char *env = g_getenv ("PHEDEX_LIBDIR");
  const char *dirs[] = { env && *env ? env : here, env && *env ? NULL : PX_PKGLIBDIR, NULL };
  g_autoptr(GString) tried = g_string_new (NULL);
  for (int i = 0; dirs[i]; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], MODULE, NULL);
      g_string_append_printf (tried, "%s'%s'", tried->len ? ", " : "", path);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      GModule *m = g_module_open (path, G_MODULE_BIND_LOCAL);
      int (*entry) (int, char **) = NULL;
      if (!m || !g_module_symbol (m, "px_cli_module_main", (gpointer *) &entry) || !entry)
        {
          fprintf (stderr, "phedex: cannot load the full command line '%s': %s\n"
                           "(reinstall phedex, or set PHEDEX_LIBDIR to the directory holding a working %s)\n",
                   path, g_module_error (), MODULE);
          return PX_EXIT_FAILURE;
        }
      return entry (argc, argv); /* never unloaded: its atexit handlers and threads may outlive the call */
    }
  fprintf (stderr, "phedex: cannot find the full command line %s (tried %s)\n"
                   "(only 'phedex checksum' and 'phedex transfer' on local files work without it: reinstall "
                   "phedex, or set PHEDEX_LIBDIR to the directory holding %s)\n",
           MODULE, tried->str, MODULE);
  return PX_EXIT_FAILURE;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc >= 2 && (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "version") == 0))
    {
      printf ("phedex %s\n", PACKAGE_VERSION);
      return PX_EXIT_OK;
    }
  const PxCommand *c = argc >= 2 ? served_here (argc, argv) : NULL;
  if (c)
    return run (c, argc - 1, argv + 1);
  return run_module (argc, argv);
}
