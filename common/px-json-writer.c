/* px-json-writer.c — the JSON writer, built on px-json.c's string escaping. */
#include "px-json.h"
#include <math.h>

void
px_json_init (PxJson *j, PxJsonStyle style)
{
  *j = (PxJson){ .out = g_string_new (NULL), .style = style };
}

void
px_json_clear (PxJson *j)
{
  if (j->out)
    g_string_free (j->out, TRUE);
  j->out = NULL;
}

/* The separator and key before a value at the current depth. */
void
px_json_member (PxJson *j, const char *key)
{
  guint64 bit = G_GUINT64_CONSTANT (1) << j->depth;
  gboolean top_array = j->depth == 1 && (j->arrays & bit);
  gboolean spaced = j->style == PX_JSON_SPACED;
  if (j->started & bit)
    g_string_append (j->out, spaced && !top_array ? ", " : ",");
  if (top_array)
    g_string_append (j->out, "\n ");
  j->started |= bit;
  if (key)
    {
      px_json_append_string (j->out, key);
      g_string_append (j->out, spaced ? ": " : ":");
    }
}

static void
begin (PxJson *j, const char *key, char open, gboolean array)
{
  g_return_if_fail (j->depth < 63);
  px_json_member (j, key);
  g_string_append_c (j->out, open);
  j->depth++;
  guint64 bit = G_GUINT64_CONSTANT (1) << j->depth;
  j->started &= ~bit;
  j->arrays = array ? j->arrays | bit : j->arrays & ~bit;
}

void
px_json_begin_object (PxJson *j, const char *key)
{
  begin (j, key, '{', FALSE);
}

void
px_json_begin_array (PxJson *j, const char *key)
{
  begin (j, key, '[', TRUE);
}

void
px_json_end (PxJson *j)
{
  g_return_if_fail (j->depth > 0);
  guint64 bit = G_GUINT64_CONSTANT (1) << j->depth;
  gboolean array = (j->arrays & bit) != 0;
  if (array && j->depth == 1 && (j->started & bit))
    g_string_append_c (j->out, '\n');
  g_string_append_c (j->out, array ? ']' : '}');
  j->depth--;
}

void
px_json_string (PxJson *j, const char *key, const char *value)
{
  px_json_member (j, key);
  g_autofree char *valid = value ? g_utf8_make_valid (value, -1) : NULL;
  px_json_append_string (j->out, valid);
}

void
px_json_int (PxJson *j, const char *key, gint64 value)
{
  px_json_member (j, key);
  g_string_append_printf (j->out, "%" G_GINT64_FORMAT, value);
}

void
px_json_fixed (PxJson *j, const char *key, double value, int digits)
{
  px_json_member (j, key);
  if (!isfinite (value))
    {
      g_string_append (j->out, "null");
      return;
    }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *format = g_strdup_printf ("%%.%df", CLAMP (digits, 0, 9));
  g_string_append (j->out, g_ascii_formatd (buf, sizeof buf, format, value));
}

void
px_json_bool (PxJson *j, const char *key, gboolean value)
{
  px_json_member (j, key);
  g_string_append (j->out, value ? "true" : "false");
}

void
px_json_null (PxJson *j, const char *key)
{
  px_json_member (j, key);
  g_string_append (j->out, "null");
}

void
px_json_flush (PxJson *j)
{
  fwrite (j->out->str, 1, j->out->len, stdout);
  g_string_truncate (j->out, 0);
}

void
px_json_print (PxJson *j)
{
  g_return_if_fail (j->depth == 0);
  g_string_append_c (j->out, '\n');
  px_json_flush (j);
  px_json_clear (j);
}
