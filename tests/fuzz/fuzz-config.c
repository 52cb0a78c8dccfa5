/* fuzz-config.c — libFuzzer target for the config loader (common/px-config.c,
 * `make fuzz`) with the agents' real key table.  The input is a site config
 * file; when it loads, every key is read with the accessor of its type. */
#include "config.h"
#include "agents/agent.h"
#include <stdint.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  PxConfig *cfg = px_config_load_data ((const char *) data, size, "fuzz.conf", px_site_config_tables, &error);
  if (!cfg)
    {
      g_assert (error && error->domain == PX_CONFIG_ERROR && error->message[0]);
      g_error_free (error);
      return 0;
    }
  g_assert (!error);
  for (const PxConfigKey *const *t = px_site_config_tables; *t; t++)
    for (const PxConfigKey *k = *t; k->group; k++)
    switch (k->type)
      {
      case PX_CONFIG_INT:
        g_assert (px_config_int (cfg, k->group, k->key) >= 1);
        break;
      case PX_CONFIG_COUNT:
        g_assert (px_config_int (cfg, k->group, k->key) >= 0);
        break;
      case PX_CONFIG_BOOL:
        (void) px_config_bool (cfg, k->group, k->key);
        break;
      case PX_CONFIG_LIST:
        for (char **v = px_config_list (cfg, k->group, k->key); *v; v++)
          g_assert ((*v)[0]);
        break;
      case PX_CONFIG_STRING:
      default:
        g_assert (px_config_string (cfg, k->group, k->key));
        break;
      }
  px_config_free (cfg);
  return 0;
}
