/* fuzz-jobreport.c — libFuzzer target for the FrameworkJobReport reader
 * (catalog/jobreport.c, `make fuzz`).  The input is a job report; when it is
 * accepted, every output and input is read through, and every output LFN
 * goes through the dataset convention and the unmerged bases. */
#include "config.h"
#include "catalog/jobreport.h"
#include <stdint.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  PxJobReport *r = px_jobreport_parse_data ((const char *) data, size, "fuzz.xml", &error);
  if (!r)
    {
      g_assert (error && error->domain == PX_JOBREPORT_ERROR && error->message[0]);
      g_error_free (error);
      return 0;
    }
  g_assert (!error);
  static volatile gsize total; /* keep the reads */
  const char *failure = px_jobreport_failure (r);
  total += failure ? strlen (failure) : 0;
  for (guint i = 0; i < px_jobreport_n_outputs (r); i++)
    {
      const PxJobReportFile *f = px_jobreport_output (r, i);
      g_autofree char *ds = px_jobreport_lfn_dataset (f->lfn);
      total += strlen (f->lfn) + strlen (f->guid) + strlen (f->pfn) + (ds ? strlen (ds) : 0)
               + (f->dataset ? strlen (f->dataset) : 0) + (f->checksum ? strlen (f->checksum) : 0)
               + px_jobreport_under_bases (f->lfn, px_jobreport_default_unmerged_bases);
      for (const char *const *in = f->inputs; *in; in++)
        total += strlen (*in);
    }
  for (guint i = 0; i < px_jobreport_n_inputs (r); i++)
    {
      const PxJobReportInput *in = px_jobreport_input (r, i);
      total += strlen (in->lfn) + strlen (in->source_class) + (gsize) in->type;
    }
  px_jobreport_free (r);
  return 0;
}
