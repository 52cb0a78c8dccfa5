/* bench-lfn2pfn — lookups per second through a realistic catalogue.
 *
 *   bench/bench-lfn2pfn [STORAGE.XML] [N] [PROTOCOL]
 *
 * Generates N (default 1,000,000) CMS-style LFNs in chunks of 10,000 (so memory
 * stays flat), maps each through PROTOCOL (default srmv2: a chained rule, the
 * common case at real sites), on one thread, and prints lookups/s and the peak
 * RSS.  Only the mapping is timed, not the name generation. */
#include "config.h"
#include "lfn2pfn/tfc.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define CHUNK 10000

int
main (int argc, char **argv)
{
  const char *xml = argc > 1 ? argv[1] : "etc/storage.xml";
  long n = argc > 2 ? atol (argv[2]) : 1000000;
  const char *proto = argc > 3 ? argv[3] : "srmv2";
  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (xml, &error);
  if (!tfc)
    {
      fprintf (stderr, "bench-lfn2pfn: %s\n", error->message);
      return 1;
    }
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, proto, "T1_US_FNAL_Disk", FALSE, &error);
  if (!m)
    {
      fprintf (stderr, "bench-lfn2pfn: %s\n", error->message);
      return 1;
    }
  static const char *tiers[] = { "RAW", "RECO", "AOD", "MINIAOD", "NANOAOD" };
  static const char *areas[] = { "data", "mc", "unmerged", "user/jdoe", "group/higgs" };
  char *names = g_malloc (CHUNK * 160);
  g_autoptr(GString) out = g_string_sized_new (512);
  gint64 spent = 0;
  long done = 0, matched = 0;
  gsize bytes = 0;
  while (done < n)
    {
      int k = (int) MIN (CHUNK, n - done);
      for (int i = 0; i < k; i++)
        {
          long id = done + i;
          snprintf (names + i * 160, 160, "/store/%s/Run2026%c/Dataset%03ld/%s/v%ld/%06ld/%08lX-%04lX.root",
                    areas[id % 5], (char) ('A' + id % 4), id % 997, tiers[id % 5], 1 + id % 3, id / 1000,
                    id * 2654435761UL % 0xFFFFFFFFUL, id % 0xFFFF);
        }
      gint64 t0 = g_get_monotonic_time ();
      for (int i = 0; i < k; i++)
        if (px_tfc_mapper_map (m, names + i * 160, out, NULL, NULL) == PX_TFC_MATCH)
          matched++, bytes += out->len;
      spent += g_get_monotonic_time () - t0;
      done += k;
    }
  g_free (names);
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  double secs = spent / 1e6;
  printf ("bench-lfn2pfn: %ld lookups (protocol %s, %ld matched, %.1f MB of PFNs) in %.3f s on 1 thread: "
          "%.2f M lookups/s; peak RSS %ld KiB\n",
          n, proto, matched, bytes / 1e6, secs, n / secs / 1e6, ru.ru_maxrss);
  return matched == n ? 0 : 1;
}
