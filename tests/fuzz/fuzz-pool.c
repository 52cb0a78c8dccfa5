/* fuzz-pool.c — libFuzzer target for the POOL XML catalogue reader
 * (catalog/pool-read.c, `make fuzz`).  The input is a catalogue; when it
 * reads, every GUID, PFN and LFN is looked at. */
#include "config.h"
#include "catalog/pool.h"
#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GPtrArray *files = px_pool_parse ((const char *) data, size, "fuzz.xml", &error);
  if (!files)
    {
      g_assert (error && error->domain == PX_POOL_ERROR && error->message[0]);
      g_error_free (error);
      return 0;
    }
  g_assert (!error);
  for (guint i = 0; i < files->len; i++)
    {
      const PxPoolFile *f = files->pdata[i];
      g_assert (f->guid[0]);
      for (char **p = f->pfns; *p; p++)
        g_assert ((*p)[0]);
      for (char **l = f->lfns; *l; l++)
        g_assert ((*l)[0]);
    }
  g_ptr_array_unref (files);
  return 0;
}
