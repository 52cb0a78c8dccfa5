/* phedex-agent — runs a site's agents.
 *   phedex-agent --config SITE.conf AGENT...   (router download verify publish delete, or all)
 * One agent runs in this process; several run as one child process each,
 * supervised: a child that dies is restarted with back-off, SIGTERM/SIGINT
 * and SIGHUP are passed on, and the parent exits once all children drained. */
#include "config.h"
#include "agent.h"
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const all_agents[] = { "router", "download", "verify", "publish", "delete" };
static volatile sig_atomic_t got_term, got_hup;

static void
on_signal (int sig)
{
  if (sig == SIGHUP)
    got_hup = 1;
  else
    got_term = 1;
}

typedef struct
{
  const char *name;
  pid_t pid;
  gint64 started;
  double backoff;
  gint64 restart_at;
} Child;

static pid_t
spawn (const char *self, const char *config, const char *agent)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* Die with the supervisor: if it is killed (even with SIGKILL) the
       * child is asked to drain, so no agent runs unsupervised and a
       * restarted supervisor never runs an agent twice.  The check after
       * covers a supervisor that died before the prctl. */
      if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid () != parent)
        _exit (0);
      signal (SIGTERM, SIG_DFL);
      signal (SIGINT, SIG_DFL);
      signal (SIGHUP, SIG_DFL);
      execl (self, "phedex-agent", "--config", config, agent, (char *) NULL);
      fprintf (stderr, "phedex-agent: cannot run '%s': %s\n", self, g_strerror (errno));
      _exit (127);
    }
  return pid;
}

static int
supervise (const char *config, GPtrArray *names)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  g_autofree Child *kids = g_new0 (Child, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      kids[i].name = g_ptr_array_index (names, i);
      kids[i].pid = spawn (self, config, kids[i].name);
      kids[i].started = g_get_monotonic_time ();
      kids[i].backoff = 1;
    }
  g_message ("supervising %u agents", names->len);
  int status = PX_EXIT_OK;
  gboolean stopping = FALSE;
  for (;;)
    {
      if (got_term && !stopping)
        {
          stopping = TRUE;
          g_message ("stopping: asking the agents to drain");
          for (guint i = 0; i < names->len; i++)
            if (kids[i].pid > 0)
              kill (kids[i].pid, SIGTERM);
        }
      if (got_hup)
        {
          got_hup = 0;
          for (guint i = 0; i < names->len; i++)
            if (kids[i].pid > 0)
              kill (kids[i].pid, SIGHUP);
        }
      int st;
      pid_t pid = waitpid (-1, &st, WNOHANG);
      if (pid > 0)
        {
          for (guint i = 0; i < names->len; i++)
            if (kids[i].pid == pid)
              {
                kids[i].pid = 0;
                gboolean clean = WIFEXITED (st) && WEXITSTATUS (st) == 0;
                if (stopping)
                  break;
                if (WIFEXITED (st) && WEXITSTATUS (st) == PX_EXIT_FAILURE)
                  {
                    /* A configuration error: restarting will not help. */
                    g_warning ("agent %s exited with an error; stopping the others", kids[i].name);
                    status = PX_EXIT_FAILURE;
                    got_term = 1;
                    break;
                  }
                if (clean)
                  {
                    g_message ("agent %s exited", kids[i].name);
                    break;
                  }
                if (g_get_monotonic_time () - kids[i].started > 60 * G_USEC_PER_SEC)
                  kids[i].backoff = 1;
                g_warning ("agent %s (pid %d) died (%s %d); restarting in %.0f s", kids[i].name, (int) pid,
                           WIFSIGNALED (st) ? "signal" : "status", WIFSIGNALED (st) ? WTERMSIG (st) : WEXITSTATUS (st),
                           kids[i].backoff);
                kids[i].restart_at = g_get_monotonic_time () + (gint64) (kids[i].backoff * G_USEC_PER_SEC);
                kids[i].backoff = MIN (kids[i].backoff * 2, 60);
                break;
              }
          continue;
        }
      if (pid < 0 && errno == ECHILD)
        {
          gboolean pending = FALSE;
          for (guint i = 0; i < names->len; i++)
            pending |= kids[i].restart_at > 0;
          if (stopping || !pending)
            break;
        }
      for (guint i = 0; i < names->len && !stopping; i++)
        if (kids[i].pid == 0 && kids[i].restart_at > 0 && g_get_monotonic_time () >= kids[i].restart_at)
          {
            kids[i].restart_at = 0;
            kids[i].pid = spawn (self, config, kids[i].name);
            kids[i].started = g_get_monotonic_time ();
          }
      g_usleep (100000);
    }
  g_message ("all agents stopped");
  return status;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  px_log_init ("phedex-agent");
  g_autofree char *config = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "the site configuration (see etc/site.conf)", "SITE.conf" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("AGENT... - run a site's agents");
  g_option_context_set_summary (ctx,
      "Agents: router, download, verify, publish, delete, or all.\n"
      "One agent runs in this process; several run as supervised child processes.\n"
      "SIGTERM drains (claimed work is finished or released) and exits 0; SIGHUP reloads the config.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "phedex-agent: %s\nTry 'phedex-agent -h' for usage.\n", error->message);
      return PX_EXIT_USAGE;
    }
  if (version)
    {
      printf ("phedex-agent %s\n", PACKAGE_VERSION);
      return PX_EXIT_OK;
    }
  if (!config || argc < 2)
    {
      fprintf (stderr, "phedex-agent: --config and at least one AGENT are required\nTry 'phedex-agent -h' for usage.\n");
      return PX_EXIT_USAGE;
    }
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "all") == 0)
        {
          for (gsize k = 0; k < G_N_ELEMENTS (all_agents); k++)
            if (!g_ptr_array_find_with_equal_func (names, all_agents[k], g_str_equal, NULL))
              g_ptr_array_add (names, (gpointer) all_agents[k]);
          continue;
        }
      if (!px_agent_class_lookup (argv[i]))
        {
          fprintf (stderr, "phedex-agent: unknown agent '%s' (agents: router download verify publish delete all)\n",
                   argv[i]);
          return PX_EXIT_USAGE;
        }
      if (!g_ptr_array_find_with_equal_func (names, argv[i], g_str_equal, NULL))
        g_ptr_array_add (names, argv[i]);
    }
  /* Check the config once here so a mistake is reported before anything starts. */
  g_autoptr(PxConfig) cfg = px_config_load (config, px_site_config_tables, &error);
  if (!cfg)
    {
      fprintf (stderr, "phedex-agent: %s\n", error->message);
      return PX_EXIT_FAILURE;
    }
  g_autoptr(PxTfc) tfc = px_tfc_load_file (px_config_string (cfg, "site", "storage-xml"), &error);
  if (!tfc)
    {
      fprintf (stderr, "phedex-agent: %s\n", error->message);
      return PX_EXIT_FAILURE;
    }
  if (names->len == 1)
    return px_agent_run (px_agent_class_lookup (g_ptr_array_index (names, 0)), config);
  return supervise (config, names);
}
