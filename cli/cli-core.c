/* cli-core.c — what every `phedex` command shares, in the launcher
 * (cli/launcher.c) and in the full command line (cli/phedex.c) alike:
 * parsing its options, building its errors, and the one place a command's
 * error is printed and becomes the exit status.  Nothing here reaches the
 * database: the setup a PX_CLI_DB command asks for is the full command
 * line's (PxCli.setup). */
#include "config.h"
#include "cli.h"
#include <string.h>

G_DEFINE_QUARK (px-cli-error-quark, px_cli_error)

gboolean
px_cli_parse (PxCli *cli, const char *params, const char *summary, GOptionEntry *entries, int *argc, char ***argv,
              GError **error)
{
  const char *name = cli->command->name;
  g_autofree char *prg = g_strdup_printf ("phedex %s", name);
  g_set_prgname (prg);
  g_autoptr(GOptionContext) ctx = g_option_context_new (params);
  g_option_context_set_summary (ctx, summary);
  GOptionEntry db[] = {
    { "db", 0, 0, G_OPTION_ARG_STRING, &cli->conninfo,
      "TMDB connection (libpq conninfo; default $PHEDEX_DB, else PG* environment)", "CONNINFO" },
    { NULL }
  };
  GOptionEntry db_read[] = {
    { "db-read", 0, 0, G_OPTION_ARG_STRING, &cli->conninfo_read,
      "read from this TMDB copy, e.g. a streaming replica (libpq conninfo; default $PHEDEX_DB_READ, else --db)",
      "CONNINFO" },
    { NULL }
  };
  if (cli->command->flags & PX_CLI_DB)
    g_option_context_add_main_entries (ctx, db, NULL);
  if ((cli->command->flags & (PX_CLI_DB | PX_CLI_READ)) == (PX_CLI_DB | PX_CLI_READ))
    g_option_context_add_main_entries (ctx, db_read, NULL);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr(GError) e = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &e))
    return px_cli_usage (cli, error, "%s", e->message);
  if ((cli->command->flags & PX_CLI_DEFER) || !(cli->command->flags & PX_CLI_DB))
    return TRUE;
  g_return_val_if_fail (cli->setup != NULL, FALSE); /* the launcher runs no database command */
  return cli->setup (cli, error);
}

gboolean
px_cli_usage (const PxCli *cli, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "%s\nTry 'phedex %s -h' for usage.", msg,
               cli->command->name);
  return FALSE;
}

gboolean
px_cli_fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, PX_CLI_ERROR, PX_CLI_ERROR_FAILED, msg);
  return FALSE;
}

void
px_cli_warn (const PxCli *cli, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "phedex %s: %s\n", cli->command->name, msg);
}

int
px_cli_exit_status (const GError *error)
{
  if (!error)
    return PX_EXIT_OK;
  if (g_error_matches (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE))
    return PX_EXIT_USAGE;
  if (g_error_matches (error, PX_CLI_ERROR, PX_CLI_ERROR_TRANSIENT))
    return PX_CLI_EXIT_TRANSIENT;
  return PX_EXIT_FAILURE;
}

int
px_cli_finish (const PxCommand *command, gboolean ok, GError *error)
{
  if (ok)
    return PX_EXIT_OK;
  fprintf (stderr, "phedex %s: %s\n", command->name, error ? error->message : "failed (no reason given)");
  return error ? px_cli_exit_status (error) : PX_EXIT_FAILURE;
}
