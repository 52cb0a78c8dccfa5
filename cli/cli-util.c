/* cli-util.c — small helpers the commands share. */
#include "cli.h"

char *
px_cli_bytes (gint64 bytes)
{
  return g_format_size_full ((guint64) MAX (bytes, 0), G_FORMAT_SIZE_DEFAULT);
}
