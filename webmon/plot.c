/* plot.c — server-rendered inline SVG: bars stacked by series (the ten
 * largest plus "other"), colours hashed from the names into a colour-blind-
 * safe palette (Okabe–Ito), SI units on the axis, the partial current bin
 * marked, role="img" with <title> and <desc>, and the same numbers in a
 * <details> table.  No script, no external resource. */
#include "config.h"
#include "webmon.h"
#include <math.h>

#define W 760
#define H 220
#define LEFT 70
#define TOP 10
#define BOTTOM 30
#define TOP_N 10

/* Okabe & Ito (2008), distinguishable with the common colour deficiencies. */
static const char *const palette[] = { "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                                       "#000000", "#999999", "#882255" };

struct _PxPlot
{
  char *title, *unit;
  gint64 start, end, step, now;
  guint n_bins;
  GHashTable *series; /* name → double[n_bins] */
};

PxPlot *
px_plot_new (const char *title, const char *unit, gint64 start, gint64 end, gint64 step, gint64 now)
{
  PxPlot *p = g_new0 (PxPlot, 1);
  p->title = g_strdup (title);
  p->unit = g_strdup (unit);
  p->step = MAX (step, 1);
  p->start = start / p->step * p->step;
  p->end = end;
  p->now = now;
  p->n_bins = (guint) MAX ((end - p->start + p->step - 1) / p->step, 1);
  p->series = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return p;
}

void
px_plot_free (PxPlot *p)
{
  if (!p)
    return;
  g_hash_table_unref (p->series);
  g_free (p->title);
  g_free (p->unit);
  g_free (p);
}

void
px_plot_add (PxPlot *p, const char *series, gint64 t, double value)
{
  if (t < p->start || t >= p->start + (gint64) p->n_bins * p->step || !isfinite (value))
    return;
  double *v = g_hash_table_lookup (p->series, series);
  if (!v)
    {
      v = g_new0 (double, p->n_bins);
      g_hash_table_insert (p->series, g_strdup (series), v);
    }
  v[(t - p->start) / p->step] += value;
}

typedef struct
{
  const char *name;
  double *v;
  double total;
} Series;

static int
by_total (gconstpointer a, gconstpointer b)
{
  const Series *x = a, *y = b;
  return x->total < y->total ? 1 : x->total > y->total ? -1 : g_strcmp0 (x->name, y->name);
}

static const char *
colour (const char *name)
{
  if (g_strcmp0 (name, "other") == 0)
    return "#BBBBBB";
  return palette[g_str_hash (name) % G_N_ELEMENTS (palette)];
}

/* "1.2 MB/s" style: SI prefixes (as g_format_size), UNIT after. */
static char *
si (double v, const char *unit)
{
  if (g_str_has_prefix (unit, "B"))
    {
      g_autofree char *b = g_format_size ((guint64) MAX (v, 0));
      return g_strconcat (b, unit + 1, NULL);
    }
  const char *prefix[] = { "", "k", "M", "G", "T" };
  int i = 0;
  while (fabs (v) >= 1000 && i < 4)
    v /= 1000, i++;
  return g_strdup_printf (v < 10 && i ? "%.1f %s%s" : "%.0f %s%s", v, prefix[i], unit);
}

static char *
hhmm (gint64 t, gint64 span)
{
  g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (d, span > 86400 ? "%m-%d %H:%M" : "%H:%M");
}

void
px_plot_svg (PxPlot *p, GString *out)
{
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (Series));
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, p->series);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      Series s = { k, v, 0 };
      for (guint i = 0; i < p->n_bins; i++)
        s.total += s.v[i];
      g_array_append_val (all, s);
    }
  g_array_sort (all, by_total);
  g_autofree double *other = g_new0 (double, p->n_bins);
  guint shown = MIN (all->len, TOP_N);
  if (all->len > TOP_N)
    {
      for (guint s = TOP_N; s < all->len; s++)
        for (guint i = 0; i < p->n_bins; i++)
          other[i] += g_array_index (all, Series, s).v[i];
      Series o = { "other", other, 0 };
      g_array_set_size (all, TOP_N);
      g_array_append_val (all, o);
      shown++;
    }
  double max = 0;
  for (guint i = 0; i < p->n_bins; i++)
    {
      double sum = 0;
      for (guint s = 0; s < shown; s++)
        sum += g_array_index (all, Series, s).v[i];
      max = MAX (max, sum);
    }
  double top = max > 0 ? max * 1.1 : 1;
  g_autofree char *top_label = si (top, p->unit), *max_label = si (max, p->unit);
  g_autofree char *t0 = hhmm (p->start, p->end - p->start), *t1 = hhmm (p->end, p->end - p->start);

  g_string_append (out, "<figure class=\"plot\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
                        "viewBox=\"0 0 " G_STRINGIFY (W) " " G_STRINGIFY (H) "\" width=\"" G_STRINGIFY (W) "\" height=\""
                        G_STRINGIFY (H) "\"><title>");
  px_web_html (out, p->title);
  g_string_append (out, "</title><desc>");
  g_string_append_printf (out, "%u series stacked, %u bins from %s to %s UTC, highest ", all->len, p->n_bins, t0, t1);
  px_web_html (out, max_label);
  g_string_append (out, "</desc>\n");
  double pw = W - LEFT - 10, ph = H - TOP - BOTTOM, bw = pw / p->n_bins;
  g_string_append_printf (out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
                               "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                          LEFT, TOP, LEFT, H - BOTTOM, LEFT, H - BOTTOM, W - 10, H - BOTTOM);
  g_string_append_printf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 4, TOP + 10);
  px_web_html (out, top_label);
  g_string_append_printf (out, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", LEFT - 4, H - BOTTOM);
  g_string_append_printf (out, "<text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s UTC</text>\n",
                          LEFT, H - 10, t0, W - 10, H - 10, t1);
  for (guint i = 0; i < p->n_bins; i++)
    {
      double y = H - BOTTOM;
      gboolean partial = p->start + (gint64) (i + 1) * p->step > p->now;
      for (guint s = 0; s < shown; s++)
        {
          const Series *se = &g_array_index (all, Series, s);
          if (se->v[i] <= 0)
            continue;
          double h = se->v[i] / top * ph;
          y -= h;
          g_string_append_printf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>",
                                  LEFT + i * bw, y, MAX (bw - 0.5, 0.5), h, colour (se->name),
                                  partial ? " fill-opacity=\"0.5\" class=\"partial\"" : "");
        }
    }
  if (p->now < p->end + p->step)
    {
      double x = LEFT + (double) (MIN (p->now, p->end) / p->step * p->step - p->start) / p->step * bw;
      g_string_append_printf (out, "\n<line class=\"now\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                                   "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">partial</text>",
                              x, TOP, x, H - BOTTOM, x - 2, TOP + 10);
    }
  g_string_append (out, "\n</svg>\n<figcaption><ul class=\"legend\">");
  for (guint s = 0; s < shown; s++)
    {
      const Series *se = &g_array_index (all, Series, s);
      g_string_append_printf (out, "<li><span class=\"swatch\" style=\"background:%s\"></span>", colour (se->name));
      px_web_html (out, se->name);
      g_string_append (out, "</li>");
    }
  if (shown == 0)
    g_string_append (out, "<li>no data in this period</li>");
  g_string_append (out, "</ul></figcaption>\n<details><summary>the numbers</summary><table><caption>");
  px_web_html (out, p->title);
  g_string_append (out, "</caption><thead><tr><th scope=\"col\">bin (UTC)</th>");
  for (guint s = 0; s < shown; s++)
    {
      g_string_append (out, "<th scope=\"col\">");
      px_web_html (out, g_array_index (all, Series, s).name);
      g_string_append (out, "</th>");
    }
  g_string_append (out, "</tr></thead><tbody>\n");
  for (guint i = 0; i < p->n_bins; i++)
    {
      g_autofree char *t = hhmm (p->start + (gint64) i * p->step, p->end - p->start);
      gboolean partial = p->start + (gint64) (i + 1) * p->step > p->now;
      g_string_append_printf (out, "<tr><th scope=\"row\">%s%s</th>", t, partial ? " (partial)" : "");
      for (guint s = 0; s < shown; s++)
        {
          g_autofree char *n = si (g_array_index (all, Series, s).v[i], p->unit);
          g_string_append (out, "<td class=\"n\">");
          px_web_html (out, n);
          g_string_append (out, "</td>");
        }
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table></details></figure>\n");
}
