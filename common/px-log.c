#include "px-common.h"
#include <unistd.h>

static char *log_ident;
static gboolean log_debug;

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR) return "error";
  if (level & G_LOG_LEVEL_CRITICAL) return "critical";
  if (level & G_LOG_LEVEL_WARNING) return "warning";
  if (level & G_LOG_LEVEL_MESSAGE) return "info";
  if (level & G_LOG_LEVEL_INFO) return "info";
  return "debug";
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) && !log_debug)
    return G_LOG_WRITER_HANDLED;
  const char *msg = "";
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      msg = fields[i].value;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  fprintf (stderr, "%s.%03dZ %s[%d] %s: %s\n", ts, g_date_time_get_microsecond (now) / 1000,
           log_ident ? log_ident : g_get_prgname (), (int) getpid (), level_name (level), msg);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
px_log_set_ident (const char *ident)
{
  g_free (log_ident);
  log_ident = g_strdup (ident);
}

void
px_log_set_debug (gboolean on)
{
  log_debug = on;
}

void
px_log_init (const char *ident)
{
  px_log_set_ident (ident);
  static gboolean installed;
  if (g_getenv ("PHEDEX_DEBUG"))
    log_debug = TRUE;
  if (!installed)
    g_log_set_writer_func (writer, NULL, NULL);
  installed = TRUE;
}
