/* fuzz-inject.c — libFuzzer target for the PhEDEx injection XML reader
 * (catalog/inject.c, `make fuzz`).  The input is an injection file; when it
 * is accepted, every record is read through. */
#include "config.h"
#include "catalog/inject.h"
#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  PxInject *in = px_inject_parse_data ((const char *) data, size, "fuzz.xml", &error);
  if (!in)
    {
      g_assert (error && error->domain == PX_INJECT_ERROR && error->message[0]);
      g_error_free (error);
      return 0;
    }
  g_assert (!error && px_inject_count (in) > 0);
  static volatile gsize total; /* keep the reads */
  for (guint i = 0; i < px_inject_count (in); i++)
    {
      const PxInjectFile *f = px_inject_file (in, i);
      g_assert (f->lfn[0] == '/' && g_str_has_prefix (f->checksum, "adler32:"));
      total += strlen (f->dbs) + strlen (f->dataset) + strlen (f->block) + (gsize) (f->bytes & 1);
    }
  px_inject_free (in);
  return 0;
}
