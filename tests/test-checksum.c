/* test-checksum — the SIMD checksums (ISA-L) give exactly what zlib's adler32
 * and POSIX cksum give, whatever the sizes and however the bytes are split
 * into chunks as they stream. */
#include "config.h"
#include "common/px-checksum.h"
#include <string.h>
#include <zlib.h>
#include <glib/gstdio.h>

/* zlib's adler32 over any length. */
static guint32
zlib_adler (guint32 a, const guint8 *p, gsize n)
{
  while (n > 0)
    {
      uInt k = (uInt) MIN (n, (gsize) 1 << 30);
      a = (guint32) adler32 (a, p, k);
      p += k;
      n -= k;
    }
  return a;
}

/* POSIX cksum, bit by bit (the definition, not a table). */
static guint32
slow_cksum (const guint8 *p, gsize n)
{
  guint32 crc = 0;
  for (gsize i = 0; i < n; i++)
    {
      crc ^= (guint32) p[i] << 24;
      for (int k = 0; k < 8; k++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
  for (guint64 len = n; len; len >>= 8)
    {
      crc ^= (guint32) (len & 0xFF) << 24;
      for (int k = 0; k < 8; k++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
  return ~crc;
}

static guint8 *
random_bytes (GRand *r, gsize n, gboolean all_ff)
{
  guint8 *b = g_malloc (n ? n : 1);
  for (gsize i = 0; i < n; i++)
    b[i] = all_ff ? 0xFF : (guint8) g_rand_int_range (r, 0, 256);
  return b;
}

/* Odd sizes around the SIMD block widths and zlib's NMAX (5552), all 0xFF
 * (the largest sums, where a missed modulo shows) and random. */
static void
test_adler_sizes (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (11);
  static const gsize sizes[] = { 0, 1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255, 257, 1023,
                                 4095, 5551, 5552, 5553, 11105, 65535, 65537, 1048575, 1048577, 3333333 };
  for (int ff = 0; ff < 2; ff++)
    for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        g_autofree guint8 *b = random_bytes (r, sizes[i], ff);
        g_assert_cmphex (px_adler32 (1, b, sizes[i]), ==, zlib_adler (1, b, sizes[i]));
        /* From an unaligned start as well. */
        if (sizes[i] > 1)
          g_assert_cmphex (px_adler32 (1, b + 1, sizes[i] - 1), ==, zlib_adler (1, b + 1, sizes[i] - 1));
      }
}

/* A stream cut at random points: folding chunk after chunk (how every
 * backend checksums), and combining per-chunk sums (how a parallel GridFTP
 * get does), both equal the sum of the whole. */
static void
test_adler_chunks (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (42);
  for (int round = 0; round < 40; round++)
    {
      gsize n = (gsize) g_rand_int_range (r, 1, 2 * 1048576) | 1;
      g_autofree guint8 *b = random_bytes (r, n, round % 10 == 0);
      guint32 whole = zlib_adler (1, b, n);
      guint32 folded = 1, combined = 1;
      PxChecksum c;
      px_checksum_init (&c);
      for (gsize at = 0; at < n;)
        {
          gsize want = (gsize) g_rand_int_range (r, 1, 300000); /* not inside MIN: evaluated twice */
          gsize k = MIN (n - at, want);
          folded = px_adler32 (folded, b + at, k);
          combined = px_adler32_combine (combined, px_adler32 (1, b + at, k), k);
          px_checksum_update (&c, b + at, k);
          at += k;
        }
      g_assert_cmphex (folded, ==, whole);
      g_assert_cmphex (combined, ==, whole);
      g_assert_cmphex (c.adler, ==, whole);
      g_assert_cmpuint (c.bytes, ==, n);
      g_assert_cmpuint (px_checksum_cksum (&c), ==, slow_cksum (b, n));
    }
}

/* cksum(1)'s value for a known input, and for no bytes. */
static void
test_cksum_known (void)
{
  PxChecksum c;
  px_checksum_init (&c);
  g_assert_cmpuint (px_checksum_cksum (&c), ==, 4294967295u);
  px_checksum_update (&c, "hello\n", 6);
  g_assert_cmpuint (px_checksum_cksum (&c), ==, 3015617425u);
  g_autofree char *s = px_checksum_format (&c);
  g_assert_cmpstr (s, ==, "adler32:084b021f,cksum:3015617425");
}

/* px_checksum_file reads a file in 1 MiB pieces: same as the whole buffer. */
static void
test_checksum_file (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (7);
  gsize n = 3 * 1048576 + 12345;
  g_autofree guint8 *b = random_bytes (r, n, FALSE);
  g_autofree char *dir = g_dir_make_tmp ("px-checksum-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "f", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) b, (gssize) n, NULL));
  PxChecksum c;
  g_autofree char *why = NULL;
  g_assert_true (px_checksum_file (path, &c, &why));
  g_assert_cmphex (c.adler, ==, zlib_adler (1, b, n));
  g_assert_cmpuint (px_checksum_cksum (&c), ==, slow_cksum (b, n));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/checksum/adler32-sizes", test_adler_sizes);
  g_test_add_func ("/checksum/adler32-chunks", test_adler_chunks);
  g_test_add_func ("/checksum/cksum-known", test_cksum_known);
  g_test_add_func ("/checksum/file", test_checksum_file);
  return g_test_run ();
}
