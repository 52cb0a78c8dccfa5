#include "px-checksum.h"
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* POSIX cksum is an MSB-first CRC-32 (polynomial 0x04C11DB7).  The bytes go
 * through ISA-L; this table folds in the length at the end. */
static guint32 crc_table[256];

static gpointer
make_table (gpointer unused)
{
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i << 24;
      for (int k = 0; k < 8; k++)
        c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
      crc_table[i] = c;
    }
  return NULL;
}

/* ISA-L picks the widest SIMD version the CPU has (AVX-512, AVX2, SSE) at
 * its first call; the result is zlib's adler32, bit for bit (test-checksum).
 * Pieces of at most 1 GiB keep every length well inside what each version
 * handles. */
guint32
px_adler32 (guint32 adler, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0)
    {
      gsize n = MIN (len, (gsize) 1 << 30);
      adler = isal_adler32 (adler, p, n);
      p += n;
      len -= n;
    }
  return adler;
}

guint32
px_adler32_combine (guint32 a, guint32 b, guint64 b_len)
{
  return (guint32) adler32_combine64 (a, b, (z_off64_t) b_len);
}

/* The cksum CRC state is kept un-inverted (init 0); ISA-L's crc32_ieee is
 * the same MSB-first CRC with inversion on entry and exit, so invert around
 * it.  Folding in the length (a few bytes) stays on the table below. */
static guint32
crc_update_simd (guint32 crc, const guint8 *p, gsize len)
{
  while (len > 0)
    {
      gsize n = MIN (len, (gsize) 1 << 30);
      crc = ~crc32_ieee (~crc, (guint8 *) p, n);
      p += n;
      len -= n;
    }
  return crc;
}

void
px_checksum_init (PxChecksum *c)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, make_table, NULL);
  c->algos = PX_CHECKSUM_ADLER32 | PX_CHECKSUM_CKSUM;
  c->adler = 1; /* adler32 of no bytes */
  c->crc = 0;
  c->bytes = 0;
}

void
px_checksum_set_adler32 (PxChecksum *c, guint32 adler, guint64 bytes)
{
  px_checksum_init (c);
  c->algos = PX_CHECKSUM_ADLER32;
  c->adler = adler;
  c->bytes = bytes;
}

void
px_checksum_update (PxChecksum *c, const void *data, gsize len)
{
  c->adler = px_adler32 (c->adler, data, len);
  if (c->algos & PX_CHECKSUM_CKSUM)
    c->crc = crc_update_simd (c->crc, data, len);
  c->bytes += len;
}

guint32
px_checksum_cksum (const PxChecksum *c)
{
  guint32 crc = c->crc;
  for (guint64 n = c->bytes; n; n >>= 8)
    crc = (crc << 8) ^ crc_table[((crc >> 24) ^ (n & 0xFF)) & 0xFF];
  return ~crc;
}

char *
px_checksum_format (const PxChecksum *c)
{
  if (!(c->algos & PX_CHECKSUM_CKSUM))
    return g_strdup_printf ("adler32:%08x", c->adler);
  return g_strdup_printf ("adler32:%08x,cksum:%u", c->adler, px_checksum_cksum (c));
}

/* Parse into adler (8 hex, lowercase) and cksum (decimal) strings. */
static gboolean
parse (const char *in, char adler[9], char **cksum, char **why)
{
  adler[0] = '\0';
  *cksum = NULL;
  g_auto(GStrv) parts = g_strsplit (in, ",", -1);
  for (guint i = 0; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      if (!*p)
        continue;
      char *colon = strchr (p, ':');
      if (!colon)
        {
          *why = g_strdup_printf ("'%s' is not ALGORITHM:VALUE", p);
          return FALSE;
        }
      *colon = '\0';
      const char *v = colon + 1;
      if (g_ascii_strcasecmp (p, "adler32") == 0)
        {
          gsize n = strlen (v);
          if (n == 0 || n > 8 || strspn (v, "0123456789abcdefABCDEF") != n)
            {
              *why = g_strdup_printf ("adler32 '%s' is not 1 to 8 hex digits", v);
              return FALSE;
            }
          g_snprintf (adler, 9, "%08x", (guint) g_ascii_strtoull (v, NULL, 16));
        }
      else if (g_ascii_strcasecmp (p, "cksum") == 0)
        {
          if (!*v || strspn (v, "0123456789") != strlen (v) || g_ascii_strtoull (v, NULL, 10) > G_MAXUINT32)
            {
              *why = g_strdup_printf ("cksum '%s' is not a 32-bit decimal number", v);
              g_free (*cksum);
              *cksum = NULL;
              return FALSE;
            }
          g_free (*cksum);
          *cksum = g_strdup_printf ("%u", (guint) g_ascii_strtoull (v, NULL, 10));
        }
      else
        {
          *why = g_strdup_printf ("unknown checksum algorithm '%s' (known: adler32, cksum)", p);
          g_free (*cksum);
          *cksum = NULL;
          return FALSE;
        }
    }
  return TRUE;
}

char *
px_checksum_normalise (const char *in, char **why)
{
  char adler[9];
  g_autofree char *ck = NULL;
  if (!parse (in ? in : "", adler, &ck, why))
    return NULL;
  if (!adler[0])
    {
      *why = g_strdup_printf ("checksum '%s' has no adler32", in ? in : "");
      return NULL;
    }
  return ck ? g_strdup_printf ("adler32:%s,cksum:%s", adler, ck) : g_strdup_printf ("adler32:%s", adler);
}

gboolean
px_checksum_matches (const char *want, const char *got, char **why)
{
  char wa[9], ga[9];
  g_autofree char *wc = NULL, *gc = NULL;
  g_autofree char *e1 = NULL, *e2 = NULL;
  if (!parse (want, wa, &wc, &e1) || !parse (got, ga, &gc, &e2))
    {
      *why = g_strdup_printf ("cannot compare checksums: %s", e1 ? e1 : e2);
      return FALSE;
    }
  if (!wa[0] || !ga[0])
    {
      *why = g_strdup ("no adler32 to compare");
      return FALSE;
    }
  if (strcmp (wa, ga) != 0)
    {
      *why = g_strdup_printf ("adler32 mismatch: expected %s, got %s", wa, ga);
      return FALSE;
    }
  if (wc && gc && strcmp (wc, gc) != 0)
    {
      *why = g_strdup_printf ("cksum mismatch: expected %s, got %s", wc, gc);
      return FALSE;
    }
  return TRUE;
}

gboolean
px_checksum_file (const char *path, PxChecksum *c, char **why)
{
  px_checksum_init (c);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *why = g_strdup_printf ("cannot open '%s': %s", path, g_strerror (errno));
      return FALSE;
    }
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  gsize cap = 1 << 20;
  g_autofree guint8 *buf = g_malloc (cap);
  for (;;)
    {
      ssize_t n = read (fd, buf, cap);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *why = g_strdup_printf ("cannot read '%s': %s", path, g_strerror (errno));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      px_checksum_update (c, buf, (gsize) n);
    }
  close (fd);
  return TRUE;
}
