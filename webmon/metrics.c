/* metrics.c — /metrics in the Prometheus text format 0.0.4.  Counters come
 * from link_counters and error_counters (monotonic tables kept by triggers),
 * gauges from the summaries kept by triggers (link_queue, block_replicas,
 * request_counts), never from summing history or counting replicas per
 * scrape; no LFN or id is a label.  One statement (webmon_metrics, no
 * parameter: each session plans it once) gives every sample. */
#include "config.h"
#include "webmon.h"
#include <string.h>

static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5 };
#define N_BUCKETS G_N_ELEMENTS (buckets)

typedef struct
{
  guint64 by_status[6]; /* 1xx..5xx by first digit */
  guint64 bucket[N_BUCKETS];
  guint64 count;
  double sum;
} PageStats;

static GMutex lock;
static GHashTable *pages; /* page name → PageStats */

void
px_web_metrics_request (const char *page, int status, double seconds)
{
  g_mutex_lock (&lock);
  if (!pages)
    pages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  PageStats *s = g_hash_table_lookup (pages, page);
  if (!s)
    g_hash_table_insert (pages, g_strdup (page), s = g_new0 (PageStats, 1));
  s->by_status[CLAMP (status / 100, 1, 5)]++;
  for (guint i = 0; i < N_BUCKETS; i++)
    if (seconds <= buckets[i])
      s->bucket[i]++;
  s->count++;
  s->sum += seconds;
  g_mutex_unlock (&lock);
}

static void
help (GString *out, const char *name, const char *type, const char *text)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* NAME{k1="v1",...} VALUE: labels escaped. */
static void
sample (GString *out, const char *name, const char *const *labels, const char *value)
{
  g_string_append (out, name);
  for (guint i = 0; labels && labels[i]; i += 2)
    {
      g_string_append (out, i ? "," : "{");
      g_string_append_printf (out, "%s=\"", labels[i]);
      px_web_prom_label (out, labels[i + 1]);
      g_string_append_c (out, '"');
      if (!labels[i + 2])
        g_string_append_c (out, '}');
    }
  g_string_append_printf (out, " %s\n", value && *value ? value : "0");
}

static void
self_metrics (GString *out, gboolean db_up)
{
  help (out, "phedex_build_info", "gauge", "phedex-webmon's version");
  sample (out, "phedex_build_info", (const char *[]){ "version", PACKAGE_VERSION, NULL }, "1");
  help (out, "phedex_webmon_db_up", "gauge", "1 when webmon reaches the TMDB");
  sample (out, "phedex_webmon_db_up", NULL, db_up ? "1" : "0");
  help (out, "phedex_webmon_requests_total", "counter", "requests answered, by page and status class");
  g_mutex_lock (&lock);
  if (pages)
    {
      GHashTableIter it;
      gpointer k, v;
      GString *hist = g_string_new (NULL);
      g_hash_table_iter_init (&it, pages);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          PageStats *s = v;
          for (guint c = 1; c <= 5; c++)
            if (s->by_status[c])
              {
                char code[8], n[32];
                g_snprintf (code, sizeof code, "%uxx", c);
                g_snprintf (n, sizeof n, "%" G_GUINT64_FORMAT, s->by_status[c]);
                sample (out, "phedex_webmon_requests_total", (const char *[]){ "page", k, "code", code, NULL }, n);
              }
          for (guint i = 0; i < N_BUCKETS; i++)
            {
              char le[32], n[32];
              g_ascii_dtostr (le, sizeof le, buckets[i]);
              g_snprintf (n, sizeof n, "%" G_GUINT64_FORMAT, s->bucket[i]);
              sample (hist, "phedex_webmon_request_duration_seconds_bucket", (const char *[]){ "page", k, "le", le, NULL }, n);
            }
          char n[32], sum[G_ASCII_DTOSTR_BUF_SIZE];
          g_snprintf (n, sizeof n, "%" G_GUINT64_FORMAT, s->count);
          sample (hist, "phedex_webmon_request_duration_seconds_bucket", (const char *[]){ "page", k, "le", "+Inf", NULL }, n);
          sample (hist, "phedex_webmon_request_duration_seconds_count", (const char *[]){ "page", k, NULL }, n);
          sample (hist, "phedex_webmon_request_duration_seconds_sum", (const char *[]){ "page", k, NULL },
                  g_ascii_dtostr (sum, sizeof sum, s->sum));
        }
      help (out, "phedex_webmon_request_duration_seconds", "histogram", "time to answer, by page");
      g_string_append_len (out, hist->str, (gssize) hist->len);
      g_string_free (hist, TRUE);
    }
  g_mutex_unlock (&lock);
}

/* The families webmon_metrics returns, in its order, with their label keys. */
static const struct
{
  const char *name, *type, *help;
  const char *keys[4];
} families[] = {
  { "phedex_link_files_total", "counter", "files per link and outcome (done, failed, expired)", { "from", "to", "outcome" } },
  { "phedex_link_bytes_total", "counter", "bytes per link and outcome", { "from", "to", "outcome" } },
  { "phedex_link_attempts_total", "counter", "transfer attempts per link", { "from", "to" } },
  { "phedex_link_queued_files", "gauge", "files queued per link and priority", { "from", "to", "priority" } },
  { "phedex_link_queued_bytes", "gauge", "bytes queued per link and priority", { "from", "to", "priority" } },
  { "phedex_link_active_files", "gauge", "files in transfer per link", { "from", "to" } },
  { "phedex_link_state", "gauge", "1 for the link's state (ok idle inactive agents_down failing warning stalled)",
    { "from", "to", "state" } },
  { "phedex_link_errors_total", "counter", "errors per link, reason and permanence (from is empty at rest)",
    { "from", "to", "reason", "permanent" } },
  { "phedex_agent_up", "gauge", "1 while the agent is alive (px_alive)", { "node", "agent", "host" } },
  { "phedex_agent_heartbeat_timestamp_seconds", "gauge", "the agent's last heartbeat", { "node", "agent", "host" } },
  { "phedex_agent_info", "gauge", "the agent's version", { "node", "agent", "host", "version" } },
  { "phedex_node_replica_files", "gauge", "good replicas per node", { "node" } },
  { "phedex_node_replica_bytes", "gauge", "bytes of good replicas per node", { "node" } },
  { "phedex_requests", "gauge", "requests per destination and state", { "node", "state" } },
  { "phedex_subscriptions", "gauge", "subscriptions per node and state", { "node", "state" } },
};

gboolean
px_web_metrics (PxTmdb *db, GString *out, gboolean db_up)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) m = db_up ? px_tmdb_query0 (db, px_sql_webmon_metrics, &error) : NULL;
  if (db_up && !m)
    {
      g_warning ("/metrics: %s", error->message);
      db_up = FALSE;
    }
  self_metrics (out, db_up);
  if (!db_up)
    return FALSE;
  static const char *const cols[] = { "a", "b", "c", "d" };
  guint n = px_rows_count (m);
  /* The rows come unsorted: each family's together, in the order of its
   * rows (a family's sec is its index + 1). */
  g_autofree guint *order = g_new (guint, n + 1);
  guint start[G_N_ELEMENTS (families) + 2] = { 0 };
  for (guint i = 0; i < n; i++)
    {
      gint64 sec = px_rows_int (m, i, "sec");
      start[CLAMP (sec, 0, (gint64) G_N_ELEMENTS (families)) + 1]++;
    }
  for (guint f = 1; f < G_N_ELEMENTS (start); f++)
    start[f] += start[f - 1];
  guint fill[G_N_ELEMENTS (start)];
  memcpy (fill, start, sizeof fill);
  for (guint i = 0; i < n; i++)
    order[fill[CLAMP (px_rows_int (m, i, "sec"), 0, (gint64) G_N_ELEMENTS (families))]++] = i;
  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    {
      help (out, families[f].name, families[f].type, families[f].help);
      for (guint k = start[f + 1]; k < start[f + 2]; k++)
        {
          guint i = order[k];
          const char *l[9] = { NULL };
          for (guint j = 0; j < 4 && families[f].keys[j]; j++)
            {
              const char *v = px_rows_text (m, i, cols[j]);
              l[2 * j] = families[f].keys[j], l[2 * j + 1] = v ? v : "";
            }
          sample (out, families[f].name, l, px_rows_text (m, i, "value"));
        }
    }
  return TRUE;
}
