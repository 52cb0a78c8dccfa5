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
  gsize seg = 0; /* start of the current path segment */
  for (gsize i = 0; i <= n; i++)
    {
      guchar c = i < n ? (guchar) lfn[i] : '/';
      if (c == '/')
        {
          if (i - seg == 2 && lfn[seg] == '.' && lfn[seg + 1] == '.')
            {
              g_autofree char *p = printable (lfn, n);
              g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '%s': '..' path segment", p);
              return FALSE;
            }
          seg = i + 1;
        }
      else if (c < 0x20 || c == 0x7f)
        {
          g_autofree char *p = printable (lfn, n);
          g_set_error (error, PX_LFN_ERROR, PX_LFN_ERROR_INVALID, "invalid LFN '%s': %s at byte %zu", p,
                       c == 0 ? "NUL" : "control character", i);
          return FALSE;
        }
    }
  return TRUE;
}
