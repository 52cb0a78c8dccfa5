/* fuzz-tfc.c — libFuzzer target for the storage.xml loader and matcher
 * (`make fuzz`).  The input is a catalogue; when it loads, a few LFNs and
 * PFNs go through every protocol it defines, both directions. */
#include "config.h"
#include "lfn2pfn/tfc.h"
#include <stdint.h>

static const char *const names[] = { "/store/data/Run2024A/RAW/000/123/456/file.root", "/store/mc/x.root",
                                     "/disk/store/a", "srm://se:8443/srm/managerv2?SFN=/store/b", "", "/" };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  PxTfc *tfc = px_tfc_load_data ((const char *) data, size, "fuzz", NULL);
  if (!tfc)
    return 0;
  GString *out = g_string_new (NULL);
  for (int d = 0; d < 2; d++)
    {
      PxTfcDirection dir = d ? PX_TFC_PFN_TO_LFN : PX_TFC_LFN_TO_PFN;
      GPtrArray *protos = px_tfc_list_protocols (tfc, dir);
      for (guint p = 0; p < protos->len; p++)
        for (int custodial = 0; custodial < 2; custodial++)
          {
            PxTfcMapper *m = px_tfc_mapper_new (tfc, dir, protos->pdata[p], "T1_XX_Site", custodial, NULL);
            for (gsize i = 0; m && i < G_N_ELEMENTS (names); i++)
              px_tfc_mapper_map (m, names[i], out, NULL, NULL);
            if (m)
              px_tfc_mapper_free (m);
          }
      g_ptr_array_unref (protos);
    }
  g_string_free (out, TRUE);
  px_tfc_free (tfc);
  return 0;
}
