/* phedex checksum FILE... — the CMS checksum string of local files, as
 * injection XML wants it ("adler32:1a2b3c4d,cksum:123"), with the size. */
#include "cli.h"
#include "common/px-checksum.h"

gboolean
px_cmd_checksum (PxCli *cli, int argc, char **argv, GError **error)
{
  GOptionEntry entries[] = { { NULL } };
  if (!px_cli_parse (cli, "FILE...", "Print 'BYTES<TAB>CHECKSUM<TAB>FILE' for each file, checksum as "
                     "'adler32:xxxxxxxx,cksum:N'.", entries, &argc, &argv, error))
    return FALSE;
  if (argc < 2)
    return px_cli_usage (cli, error, "name at least one FILE");
  g_autofree char *last = NULL;
  guint failed = 0;
  for (int i = 1; i < argc; i++)
    {
      PxChecksum c;
      g_autofree char *why = NULL;
      if (!px_checksum_file (argv[i], &c, &why))
        {
          /* Each failure is said as it happens; the last one is the error. */
          if (last)
            px_cli_warn (cli, "%s", last);
          g_free (last);
          last = g_steal_pointer (&why);
          failed++;
          continue;
        }
      g_autofree char *s = px_checksum_format (&c);
      printf ("%" G_GUINT64_FORMAT "\t%s\t%s\n", c.bytes, s, argv[i]);
    }
  if (failed)
    return px_cli_fail (error, "%s", last);
  return TRUE;
}
