/* metrics.c — /metrics in the Prometheus text format 0.0.4.  Counters come
 * from link_counters and error_counters (monotonic tables kept by triggers),
 * gauges from the summaries kept by triggers (link_queue, block_replicas,
 * request_counts), never from summing history or counting replicas per
 * scrape; no LFN or id is a label.  Every statement here has no parameter:
 * each session plans it once. */
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

void
px_web_metrics (PxTmdb *db, GString *out, gboolean db_up)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PxRows) c = db_up ? px_tmdb_query0 (db, px_sql_webmon_metrics_links, &error) : NULL;
  g_autoptr(PxRows) q = c ? px_tmdb_query0 (db, px_sql_webmon_metrics_queue, &error) : NULL;
  g_autoptr(PxRows) s = q ? px_tmdb_query0 (db, px_sql_webmon_metrics_states, &error) : NULL;
  g_autoptr(PxRows) e = s ? px_tmdb_query0 (db, px_sql_webmon_metrics_errors, &error) : NULL;
  g_autoptr(PxRows) a = e ? px_tmdb_query (db, px_sql_webmon_agents, &error, PX_NULL) : NULL;
  g_autoptr(PxRows) n = a ? px_tmdb_query0 (db, px_sql_webmon_nodes, &error) : NULL;
  g_autoptr(PxRows) r = n ? px_tmdb_query0 (db, px_sql_webmon_metrics_requests, &error) : NULL;
  g_autoptr(PxRows) sub = r ? px_tmdb_query0 (db, px_sql_webmon_metrics_subscriptions, &error) : NULL;
  if (db_up && !sub)
    {
      g_warning ("/metrics: %s", error->message);
      db_up = FALSE;
    }
  self_metrics (out, db_up);
  if (!db_up)
    return;
  help (out, "phedex_link_files_total", "counter", "files per link and outcome (done, failed, expired)");
  help (out, "phedex_link_bytes_total", "counter", "bytes per link and outcome");
  help (out, "phedex_link_attempts_total", "counter", "transfer attempts per link");
  for (guint i = 0; i < px_rows_count (c); i++)
    {
      const char *f = px_rows_text (c, i, "from_name"), *t = px_rows_text (c, i, "to_name");
      const char *outcome[][3] = { { "done", "done_files", "done_bytes" }, { "failed", "fail_files", "fail_bytes" },
                                   { "expired", "expire_files", "expire_bytes" } };
      for (guint k = 0; k < 3; k++)
        {
          const char *l[] = { "from", f, "to", t, "outcome", outcome[k][0], NULL };
          sample (out, "phedex_link_files_total", l, px_rows_text (c, i, outcome[k][1]));
          sample (out, "phedex_link_bytes_total", l, px_rows_text (c, i, outcome[k][2]));
        }
      sample (out, "phedex_link_attempts_total", (const char *[]){ "from", f, "to", t, NULL }, px_rows_text (c, i, "try_files"));
    }
  help (out, "phedex_link_queued_files", "gauge", "files queued per link and priority");
  help (out, "phedex_link_queued_bytes", "gauge", "bytes queued per link and priority");
  for (guint i = 0; i < px_rows_count (q); i++)
    {
      const char *l[] = { "from", px_rows_text (q, i, "from_name"), "to", px_rows_text (q, i, "to_name"), "priority",
                          px_rows_text (q, i, "priority"), NULL };
      sample (out, "phedex_link_queued_files", l, px_rows_text (q, i, "queued_files"));
      sample (out, "phedex_link_queued_bytes", l, px_rows_text (q, i, "queued_bytes"));
    }
  help (out, "phedex_link_active_files", "gauge", "files in transfer per link");
  for (guint i = 0; i < px_rows_count (s); i++)
    sample (out, "phedex_link_active_files", (const char *[]){ "from", px_rows_text (s, i, "from_name"), "to",
            px_rows_text (s, i, "to_name"), NULL }, px_rows_text (s, i, "active_files"));
  help (out, "phedex_link_state", "gauge", "1 for the link's state (ok idle inactive agents_down failing warning stalled)");
  for (guint i = 0; i < px_rows_count (s); i++)
    sample (out, "phedex_link_state", (const char *[]){ "from", px_rows_text (s, i, "from_name"), "to",
            px_rows_text (s, i, "to_name"), "state", px_rows_text (s, i, "state"), NULL }, "1");
  help (out, "phedex_link_errors_total", "counter", "errors per link, reason and permanence (from is empty at rest)");
  for (guint i = 0; i < px_rows_count (e); i++)
    sample (out, "phedex_link_errors_total", (const char *[]){ "from", px_rows_text (e, i, "from_name"), "to",
            px_rows_text (e, i, "to_name"), "reason", px_rows_text (e, i, "reason"), "permanent",
            px_rows_bool (e, i, "permanent") ? "true" : "false", NULL }, px_rows_text (e, i, "n"));
  help (out, "phedex_agent_up", "gauge", "1 while the agent is alive (px_alive)");
  help (out, "phedex_agent_heartbeat_timestamp_seconds", "gauge", "the agent's last heartbeat");
  help (out, "phedex_agent_info", "gauge", "the agent's version");
  for (guint i = 0; i < px_rows_count (a); i++)
    {
      const char *l[] = { "node", px_rows_text (a, i, "node"), "agent", px_rows_text (a, i, "agent"), "host",
                          px_rows_text (a, i, "host"), NULL };
      sample (out, "phedex_agent_up", l, px_rows_bool (a, i, "alive") ? "1" : "0");
      sample (out, "phedex_agent_heartbeat_timestamp_seconds", l, px_rows_text (a, i, "heartbeat_epoch"));
      const char *v = px_rows_text (a, i, "version");
      const char *li[] = { "node", l[1], "agent", l[3], "host", l[5], "version", v ? v : "", NULL };
      sample (out, "phedex_agent_info", li, "1");
    }
  help (out, "phedex_node_replica_files", "gauge", "good replicas per node");
  help (out, "phedex_node_replica_bytes", "gauge", "bytes of good replicas per node");
  for (guint i = 0; i < px_rows_count (n); i++)
    {
      const char *l[] = { "node", px_rows_text (n, i, "name"), NULL };
      sample (out, "phedex_node_replica_files", l, px_rows_text (n, i, "files"));
      sample (out, "phedex_node_replica_bytes", l, px_rows_text (n, i, "bytes"));
    }
  help (out, "phedex_requests", "gauge", "requests per destination and state");
  for (guint i = 0; i < px_rows_count (r); i++)
    sample (out, "phedex_requests", (const char *[]){ "node", px_rows_text (r, i, "node"), "state",
            px_rows_text (r, i, "state"), NULL }, px_rows_text (r, i, "n"));
  help (out, "phedex_subscriptions", "gauge", "subscriptions per node and state");
  for (guint i = 0; i < px_rows_count (sub); i++)
    sample (out, "phedex_subscriptions", (const char *[]){ "node", px_rows_text (sub, i, "node"), "state",
            px_rows_text (sub, i, "state"), NULL }, px_rows_text (sub, i, "n"));
}
