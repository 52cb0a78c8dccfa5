/* phedex inject --node NODE FILE.xml — register files already present at
 * NODE, from the PhEDEx injection format.  The work is the library's
 * (catalog/inject.c reads, catalog/inject-load.c checks and loads, all or
 * nothing); this file parses options, shows progress and prints the result. */
#include "cli-json.h"
#include "catalog/inject.h"
#include <string.h>
#include <unistd.h>

/* Progress on a terminal (stderr), at most five updates a second: a million
 * files take a while to check and load. */
static void
progress (const char *phase, guint done, guint total)
{
  static gint64 last;
  static int tty = -1;
  if (tty < 0)
    tty = isatty (STDERR_FILENO);
  gint64 now = g_get_monotonic_time ();
  if (!tty || (done < total && now - last < 200000))
    return;
  last = now;
  if (total)
    fprintf (stderr, "\rphedex inject: %s %u/%u files (%.0f%%)\033[K", phase, done, total, 100.0 * done / total);
  else
    fprintf (stderr, "\rphedex inject: %s\033[K", phase);
  if (done == total && total)
    fputc ('\n', stderr);
}

static void
progress_end (void)
{
  if (isatty (STDERR_FILENO))
    fputs ("\r\033[K", stderr);
}

static void
on_progress (const char *phase, guint done, guint total, gpointer data)
{
  (void) data;
  progress (phase, done, total);
}

/* Load IN at the node (catalog/inject-load.c does the work) and say what happened. */
static gboolean
inject (PxCli *cli, const char *tfc, gboolean no_check, const PxInject *in, GError **error)
{
  PxInjectLoad load = { cli->node_id, cli->node, !no_check, tfc, on_progress, NULL };
  PxInjectResult r;
  if (!px_inject_load (cli->db, &load, in, &r, error))
    return FALSE;
  progress_end ();
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_SPACED);
      px_json_begin_object (&j, NULL);
      px_json_string (&j, "node", cli->node);
      px_json_int (&j, "files_in_input", r.files_in_input);
      px_json_int (&j, "new_files", r.new_files);
      px_json_int (&j, "new_bytes", r.new_bytes);
      px_json_int (&j, "blocks", r.blocks);
      px_json_int (&j, "new_replicas", r.new_replicas);
      px_json_end (&j);
      px_json_print (&j);
    }
  else
    {
      g_autofree char *b = px_cli_bytes (r.new_bytes);
      printf ("injected %" G_GINT64_FORMAT " new files (%s) in %" G_GINT64_FORMAT " blocks at %s; %" G_GINT64_FORMAT
              " new replicas (%u files in input)\n", r.new_files, b, r.blocks, cli->node, r.new_replicas,
              r.files_in_input);
    }
  return TRUE;
}

/* "...; nothing injected", with the error's domain and code. */
static gboolean
nothing_injected (GError **error)
{
  if (error && *error)
    {
      g_autoptr(GError) e = g_steal_pointer (error);
      g_set_error (error, e->domain, e->code, "%s; nothing injected", e->message);
    }
  return FALSE;
}

gboolean
px_cmd_inject (PxCli *cli, int argc, char **argv, GError **error)
{
  g_autofree char *tfc = NULL;
  gboolean no_check = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_NODE_ENTRY (cli, "the node where the files are (required)"),
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc, "the node's storage.xml (default: the one its agents uploaded)", "FILE" },
    { "no-check", 0, 0, G_OPTION_ARG_NONE, &no_check, "do not check that the files are present at the node", NULL },
    PX_CLI_JSON_ENTRY (cli, "JSON output"),
    { NULL }
  };
  if (!px_cli_parse (cli, "FILE.xml", "Register files present at NODE (PhEDEx injection XML). All or nothing.",
                     entries, &argc, &argv, error))
    return FALSE;
  if (!cli->node || argc != 2)
    return px_cli_usage (cli, error, "--node and one FILE.xml are required");
  /* A bad file is refused before anything connects (PX_CLI_DEFER). */
  g_autoptr(PxInject) in = px_inject_parse_file (argv[1], error);
  if (!in)
    return nothing_injected (error);
  if (!px_cli_setup (cli, error))
    return FALSE;
  if (!inject (cli, tfc, no_check, in, error))
    {
      progress_end ();
      return nothing_injected (error);
    }
  /* After the load committed (a failure here is not "nothing injected"). */
  return px_cli_audit (cli, "inject", error, "file", argv[1], NULL);
}
