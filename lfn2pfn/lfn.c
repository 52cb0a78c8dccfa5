/* lfn.c — LFN validation, see lfn.h. */
#include "config.h"
#include "lfn.h"
#include <string.h>

G_DEFINE_QUARK (px-lfn-error-quark, px_lfn_error)

/* The name as it can be shown in a message: escaped, and cut short. */
static char *
printable (const char *lfn, gsize len)
{
  gsize show = MIN (len, 200);
  /* Byte by byte, not as a C string: an embedded NUL is shown too. */
  g_autoptr(GString) s = g_string_sized_new (show + 16);
  for (gsize i = 0; i < show; i++)
    {
      guchar c = (guchar) lfn[i];
      if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'')
        g_string_append_printf (s, "\\x%02x", c);
      else
        g_string_append_c (s, (char) c);
    }
  if (show < len)
    g_string_append (s, "...");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Whether any of the 8 bytes of W is below 0x20 or is 0x7f (bit tricks from
 * "Bit Twiddling Hacks": a byte below N sets its top bit in W - N*ones where
 * it was clear in W).  It runs on every LFN mapped, so it goes 8 bytes at a
 * time: byte by byte it cost a quarter of the lookup rate. */
static inline gboolean
has_control (guint64 w)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 high = G_GUINT64_CONSTANT (0x8080808080808080);
  guint64 del = w ^ (ones * 0x7f);
  return ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & high) != 0;
}

static gboolean
refuse_control (const char *lfn, gsize n, gsize i, GError **error)
{
  g_autofree char *p = printable (lfn, n);
  guchar c = (guchar) lfn[i];
  g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '%s': %s at byte %zu", p,
               c == 0 ? "NUL" : "control character", i);
  return FALSE;
}

gboolean
px_lfn_validate (const char *lfn, gssize len, GError **error)
{
  g_return_val_if_fail (lfn != NULL, FALSE);
  gsize n = len < 0 ? strlen (lfn) : (gsize) len;
  if (n == 0)
    {
      g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '': empty name");
      return FALSE;
    }
  if (n > PX_LFN_MAX_LEN)
    {
      g_autofree char *p = printable (lfn, n);
      g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '%s': %zu bytes long; at most %d allowed", p,
                   n, PX_LFN_MAX_LEN);
      return FALSE;
    }
  gsize i = 0;
  for (; i + 8 <= n; i += 8)
    {
      guint64 w;
      memcpy (&w, lfn + i, 8);
      if (G_UNLIKELY (has_control (w)))
        break;
    }
  for (; i < n; i++)
    if ((guchar) lfn[i] < 0x20 || (guchar) lfn[i] == 0x7f)
      return refuse_control (lfn, n, i, error);
  /* A '..' segment: between slashes or at either end.  memchr finds the
   * few dots of a name (".root") faster than memmem finds "..". */
  for (const char *d = memchr (lfn, '.', n); d; d = memchr (d + 1, '.', n - (gsize) (d + 1 - lfn)))
    {
      gsize at = (gsize) (d - lfn);
      if (at + 1 < n && d[1] == '.' && (at == 0 || d[-1] == '/') && (at + 2 == n || d[2] == '/'))
        {
          g_autofree char *p = printable (lfn, n);
          g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '%s': '..' path segment", p);
          return FALSE;
        }
    }
  return TRUE;
}
