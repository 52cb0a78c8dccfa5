/* adler32 — the separate checksum pass of the bench-transfer comparisons:
 * what a site would run after cp, curl or globus-url-copy.
 *
 *   bench/adler32 [-i] FILE...
 *
 * Prints "xxxxxxxx  FILE" for each, reading 1 MiB at a time through zlib's
 * adler32 (with -i: ISA-L's isal_adler32, the one phedex uses), and on
 * stderr the checksum throughput over all files. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

int
main (int argc, char **argv)
{
  int isal = argc > 1 && strcmp (argv[1], "-i") == 0;
  static unsigned char buf[1 << 20];
  double summing = 0, bytes = 0;
  int rc = 0;
  for (int i = 1 + isal; i < argc; i++)
    {
      int fd = open (argv[i], O_RDONLY);
      if (fd < 0)
        {
          fprintf (stderr, "adler32: %s: %s\n", argv[i], strerror (errno));
          rc = 1;
          continue;
        }
      unsigned long a = 1;
      ssize_t n;
      while ((n = read (fd, buf, sizeof buf)) > 0)
        {
          struct timespec t0, t1;
          clock_gettime (CLOCK_MONOTONIC, &t0);
          a = isal ? isal_adler32 ((uint32_t) a, buf, (uint64_t) n) : adler32 (a, buf, (uInt) n);
          clock_gettime (CLOCK_MONOTONIC, &t1);
          summing += (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
          bytes += (double) n;
        }
      if (n < 0)
        {
          fprintf (stderr, "adler32: %s: %s\n", argv[i], strerror (errno));
          rc = 1;
        }
      close (fd);
      printf ("%08lx  %s\n", a, argv[i]);
    }
  if (summing > 0)
    fprintf (stderr, "adler32 (%s): %.0f MB/s of checksum alone\n", isal ? "isal" : "zlib", bytes / summing / 1e6);
  return rc;
}
