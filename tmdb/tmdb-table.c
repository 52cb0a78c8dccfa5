/* tmdb-table.c — aligned text, a JSON array of objects or an HTML table,
 * from the same rows. */
#include "config.h"
#include "tmdb-table.h"
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* "1.2 GB" (as the CLI's px_cli_bytes). */
static char *
bytes_text (gint64 bytes)
{
  return g_format_size_full ((guint64) MAX (bytes, 0), G_FORMAT_SIZE_DEFAULT);
}

typedef struct
{
  char *value; /* as SQL printed it; NULL = none */
  char *human; /* text shown instead, or NULL */
} Cell;

struct _PxTable
{
  const PxTableColumn *columns;
  guint n_columns;
  GPtrArray *rows; /* of Cell[n_columns] */
};

static void
row_free (gpointer p, gpointer n_columns)
{
  Cell *row = p;
  for (guint i = 0; i < GPOINTER_TO_UINT (n_columns); i++)
    {
      g_free (row[i].value);
      g_free (row[i].human);
    }
  g_free (row);
}

PxTable *
px_table_new (const PxTableColumn *columns)
{
  g_return_val_if_fail (columns != NULL, NULL);
  PxTable *t = g_new0 (PxTable, 1);
  t->columns = columns;
  while (columns[t->n_columns].key)
    t->n_columns++;
  t->rows = g_ptr_array_new ();
  return t;
}

void
px_table_free (PxTable *table)
{
  if (!table)
    return;
  g_ptr_array_foreach (table->rows, row_free, GUINT_TO_POINTER (table->n_columns));
  g_ptr_array_free (table->rows, TRUE);
  g_free (table);
}

void
px_table_add_row (PxTable *table, const PxRows *rows, guint i)
{
  Cell *row = g_new0 (Cell, table->n_columns);
  for (guint c = 0; c < table->n_columns; c++)
    {
      const PxTableColumn *col = &table->columns[c];
      const char *name = col->sql ? col->sql : col->key;
      /* A column the statement does not return is the caller's to set (px_table_set). */
      row[c].value = px_rows_has (rows, name) ? g_strdup (px_rows_text (rows, i, name)) : NULL;
    }
  g_ptr_array_add (table->rows, row);
}

void
px_table_add_rows (PxTable *table, const PxRows *rows)
{
  for (guint i = 0; i < px_rows_count (rows); i++)
    px_table_add_row (table, rows, i);
}

void
px_table_row (PxTable *table)
{
  g_ptr_array_add (table->rows, g_new0 (Cell, table->n_columns));
}

/* The last row's cell under KEY. */
static Cell *
cell (PxTable *table, const char *key)
{
  g_return_val_if_fail (table->rows->len > 0, NULL);
  Cell *row = g_ptr_array_index (table->rows, table->rows->len - 1);
  for (guint c = 0; c < table->n_columns; c++)
    if (strcmp (table->columns[c].key, key) == 0)
      return &row[c];
  g_critical ("the table has no column '%s'", key);
  return NULL;
}

void
px_table_set (PxTable *table, const char *key, const char *value)
{
  Cell *c = cell (table, key);
  if (c)
    {
      g_free (c->value);
      c->value = g_strdup (value);
    }
}

void
px_table_set_human (PxTable *table, const char *key, const char *human)
{
  Cell *c = cell (table, key);
  if (c)
    {
      g_free (c->human);
      c->human = g_strdup (human);
    }
}

guint
px_table_count (const PxTable *table)
{
  return table->rows->len;
}

char *
px_table_seconds (gint64 s)
{
  s = MAX (s, 0);
  if (s < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", s);
  if (s < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", s / 60, s % 60);
  if (s < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", s / 3600, s / 60 % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", s / 86400, s / 3600 % 24);
}

static gboolean
right_aligned (const PxTableColumn *c)
{
  if (c->flags & (PX_TABLE_LEFT | PX_TABLE_RIGHT))
    return (c->flags & PX_TABLE_RIGHT) != 0;
  return c->type != PX_TABLE_TEXT && c->type != PX_TABLE_BOOL && c->type != PX_TABLE_LIST;
}

/* The text form of a cell: one line, valid UTF-8, control characters blanked. */
static char *
cell_text (const PxTableColumn *c, const Cell *cell)
{
  g_autofree char *s = NULL;
  if (cell->human)
    s = g_strdup (cell->human);
  else if (!cell->value)
    s = g_strdup ("-");
  else
    switch (c->type)
      {
      case PX_TABLE_BYTES:
        s = bytes_text ((gint64) g_ascii_strtod (cell->value, NULL));
        break;
      case PX_TABLE_RATE:
        {
          g_autofree char *b = bytes_text ((gint64) g_ascii_strtod (cell->value, NULL));
          s = g_strconcat (b, "/s", NULL);
          break;
        }
      case PX_TABLE_SECONDS:
        s = px_table_seconds ((gint64) g_ascii_strtod (cell->value, NULL));
        break;
      case PX_TABLE_BOOL:
        s = g_strdup (cell->value[0] == 't' ? "yes" : "no");
        break;
      case PX_TABLE_TEXT:
      case PX_TABLE_INT:
      case PX_TABLE_LIST:
      default:
        s = g_strdup (cell->value);
        break;
      }
  /* Columns are aligned with plain blanks: g_format_size's no-break space too. */
  g_auto(GStrv) parts = g_strsplit (s, "\xc2\xa0", -1);
  g_autofree char *joined = g_strjoinv (" ", parts);
  char *v = g_utf8_make_valid (joined, -1);
  for (char *p = v; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return v;
}

static void
pad (GString *out, const char *s, guint width, gboolean right)
{
  glong n = g_utf8_strlen (s, -1);
  if (right)
    for (glong i = n; i < (glong) width; i++)
      g_string_append_c (out, ' ');
  g_string_append (out, s);
  if (!right)
    for (glong i = n; i < (glong) width; i++)
      g_string_append_c (out, ' ');
}

static void
end_line (GString *out)
{
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  g_string_append_c (out, '\n');
}

/* The terminal's width when stdout is one, else $COLUMNS, else 80. */
static guint
terminal_width (void)
{
  struct winsize ws;
  if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *c = g_getenv ("COLUMNS");
  gint64 n = c ? g_ascii_strtoll (c, NULL, 10) : 0;
  return n >= 20 && n <= 1000 ? (guint) n : 80;
}

/* "    " + the first line of VALUE, cut to WIDTH characters ("..." marks a cut). */
static void
append_below (GString *out, const char *value, guint width)
{
  const char *indent = "    ";
  g_autofree char *v = g_utf8_make_valid (value, -1);
  gsize first = strcspn (v, "\r\n");
  gboolean more = v[first] != '\0' && v[first + strspn (v + first, "\r\n")] != '\0';
  v[first] = '\0';
  for (char *p = v; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  glong room = (glong) width - (glong) strlen (indent);
  glong n = g_utf8_strlen (v, -1);
  g_string_append (out, indent);
  if (n <= room && !more)
    g_string_append (out, v);
  else
    {
      glong keep = MIN (n, MAX (room - 3, 0));
      const char *end = g_utf8_offset_to_pointer (v, keep);
      g_string_append_len (out, v, end - v);
      g_string_append (out, "...");
    }
  end_line (out);
}

void
px_table_append_text (const PxTable *table, GString *out)
{
  guint n = table->n_columns, rows = table->rows->len;
  g_autofree guint *width = g_new0 (guint, n);
  g_autofree gboolean *shown = g_new0 (gboolean, n);
  g_autoptr(GPtrArray) text = g_ptr_array_new_with_free_func (g_free); /* rows x n */
  for (guint c = 0; c < n; c++)
    {
      const PxTableColumn *col = &table->columns[c];
      shown[c] = !(col->flags & (PX_TABLE_JSON_ONLY | PX_TABLE_BELOW));
      width[c] = shown[c] ? (guint) g_utf8_strlen (col->header, -1) : 0;
    }
  for (guint r = 0; r < rows; r++)
    {
      const Cell *row = g_ptr_array_index (table->rows, r);
      for (guint c = 0; c < n; c++)
        {
          char *s = shown[c] ? cell_text (&table->columns[c], &row[c]) : NULL;
          if (s)
            width[c] = MAX (width[c], (guint) g_utf8_strlen (s, -1));
          g_ptr_array_add (text, s);
        }
    }
  gboolean sep = FALSE;
  for (guint c = 0; c < n; c++)
    if (shown[c])
      {
        g_string_append (out, sep ? "  " : "");
        pad (out, table->columns[c].header, width[c], right_aligned (&table->columns[c]));
        sep = TRUE;
      }
  end_line (out);
  guint below_width = terminal_width ();
  for (guint r = 0; r < rows; r++)
    {
      const Cell *row = g_ptr_array_index (table->rows, r);
      sep = FALSE;
      for (guint c = 0; c < n; c++)
        if (shown[c])
          {
            g_string_append (out, sep ? "  " : "");
            pad (out, g_ptr_array_index (text, r * n + c), width[c], right_aligned (&table->columns[c]));
            sep = TRUE;
          }
      end_line (out);
      for (guint c = 0; c < n; c++)
        if ((table->columns[c].flags & PX_TABLE_BELOW) && !(table->columns[c].flags & PX_TABLE_JSON_ONLY)
            && row[c].value)
          append_below (out, row[c].human ? row[c].human : row[c].value, below_width);
    }
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
is_json_number (const char *s)
{
  const char *p = s;
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (g_ascii_isdigit (*p))
    while (g_ascii_isdigit (*p))
      p++;
  else
    return FALSE;
  if (*p == '.')
    {
      if (!g_ascii_isdigit (*++p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

static void
append_json_value (GString *out, const PxTableColumn *col, const char *v)
{
  switch (col->type)
    {
    case PX_TABLE_INT:
    case PX_TABLE_BYTES:
    case PX_TABLE_RATE:
    case PX_TABLE_SECONDS:
      g_string_append (out, v && is_json_number (v) ? v : "null");
      break;
    case PX_TABLE_BOOL:
      g_string_append (out, !v ? "null" : v[0] == 't' ? "true" : "false");
      break;
    case PX_TABLE_LIST:
      {
        g_string_append_c (out, '[');
        g_auto(GStrv) items = v && *v ? g_strsplit (v, ",", -1) : NULL;
        for (guint i = 0; items && items[i]; i++)
          {
            g_string_append (out, i ? ", " : "");
            px_json_append_string (out, items[i]);
          }
        g_string_append_c (out, ']');
        break;
      }
    case PX_TABLE_TEXT:
    default:
      {
        g_autofree char *valid = v ? g_utf8_make_valid (v, -1) : NULL;
        px_json_append_string (out, valid);
        break;
      }
    }
}

void
px_table_append_json (const PxTable *table, GString *out)
{
  g_string_append_c (out, '[');
  for (guint r = 0; r < table->rows->len; r++)
    {
      const Cell *row = g_ptr_array_index (table->rows, r);
      g_string_append (out, r ? ",\n {" : "\n {");
      gboolean sep = FALSE;
      for (guint c = 0; c < table->n_columns; c++)
        {
          const PxTableColumn *col = &table->columns[c];
          if (col->flags & PX_TABLE_HUMAN_ONLY)
            continue;
          g_string_append (out, sep ? ", " : "");
          px_json_append_string (out, col->key);
          g_string_append (out, ": ");
          append_json_value (out, col, row[c].value);
          sep = TRUE;
        }
      g_string_append_c (out, '}');
    }
  g_string_append (out, table->rows->len ? "\n]" : "]");
}

void
px_table_print (const PxTable *table, gboolean json)
{
  g_autoptr(GString) out = g_string_new (NULL);
  if (json)
    {
      px_table_append_json (table, out);
      g_string_append_c (out, '\n');
    }
  else
    px_table_append_text (table, out);
  fputs (out->str, stdout);
}

void
px_json_table (PxJson *j, const char *key, const PxTable *table)
{
  px_json_member (j, key);
  px_table_append_json (table, j->out);
}

void
px_html_escape (GString *out, const char *text)
{
  g_autofree char *v = g_utf8_make_valid (text ? text : "", -1);
  for (const char *p = v; *p; p++)
    switch (*p)
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default:
        if (((unsigned char) *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
          g_string_append_c (out, ' ');
        else
          g_string_append_c (out, *p);
      }
}

void
px_table_append_html (const PxTable *table, const char *caption, GString *out)
{
  g_string_append (out, "<table>");
  if (caption)
    {
      g_string_append (out, "<caption>");
      px_html_escape (out, caption);
      g_string_append (out, "</caption>");
    }
  g_string_append (out, "\n<thead><tr>");
  for (guint c = 0; c < table->n_columns; c++)
    {
      const PxTableColumn *col = &table->columns[c];
      if (col->flags & PX_TABLE_JSON_ONLY)
        continue;
      g_string_append_printf (out, "<th scope=\"col\"%s>", right_aligned (col) ? " class=\"n\"" : "");
      px_html_escape (out, col->header ? col->header : col->key);
      g_string_append (out, "</th>");
    }
  g_string_append (out, "</tr></thead>\n<tbody>\n");
  for (guint r = 0; r < table->rows->len; r++)
    {
      const Cell *row = g_ptr_array_index (table->rows, r);
      g_string_append (out, "<tr>");
      for (guint c = 0; c < table->n_columns; c++)
        {
          const PxTableColumn *col = &table->columns[c];
          if (col->flags & PX_TABLE_JSON_ONLY)
            continue;
          g_autofree char *s = (col->flags & PX_TABLE_BELOW) && row[c].value ? g_strdup (row[c].value)
                                                                              : cell_text (col, &row[c]);
          g_string_append_printf (out, "<td data-key=\"%s\"%s>", col->key,
                                  right_aligned (col) ? " class=\"n\"" : "");
          px_html_escape (out, s);
          g_string_append (out, "</td>");
        }
      g_string_append (out, "</tr>\n");
    }
  g_string_append (out, "</tbody></table>\n");
}

/* phedex nodes and webmon's /nodes (report_nodes). */
const PxTableColumn px_table_nodes_columns[] = {
  { "name", "NODE", PX_TABLE_TEXT },
  { "kind", "KIND", PX_TABLE_TEXT },
  { "files", "FILES", PX_TABLE_INT },
  { "bytes", "BYTES", PX_TABLE_BYTES },
  { "agents", "AGENTS ALIVE", PX_TABLE_LIST },
  { "storage_xml", "STORAGE.XML", PX_TABLE_BOOL, .sql = "has_tfc" },
  { NULL }
};

/* phedex links and webmon's /links. */
const PxTableColumn px_table_links_columns[] = {
  { "from", "FROM", PX_TABLE_TEXT, .sql = "from_name" },
  { "to", "TO", PX_TABLE_TEXT, .sql = "to_name" },
  { "distance", "DIST", PX_TABLE_INT },
  { "active", "ACTIVE", PX_TABLE_BOOL },
  { "rate", "RATE (1H)", PX_TABLE_RATE },
  { "queued_files", "QUEUED", PX_TABLE_INT },
  { "queued_bytes", "QUEUED BYTES", PX_TABLE_BYTES },
  { "failures", "FAILED (1H)", PX_TABLE_INT, .sql = "errors" },
  { "download_alive", "DOWNLOAD", PX_TABLE_BOOL },
  { NULL }
};
