/* phedex checksum FILE... — the CMS checksum string of local files, as
 * injection XML wants it ("adler32:1a2b3c4d,cksum:123"), with the size. */
#include "cli.h"
#include "common/px-checksum.h"

int
px_cmd_checksum (int argc, char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  if (!px_cli_parse ("checksum", "FILE...", "Print 'BYTES<TAB>CHECKSUM<TAB>FILE' for each file, checksum as "
                     "'adler32:xxxxxxxx,cksum:N'.", entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (argc < 2)
    {
      px_cli_error ("checksum", "name at least one FILE\nTry 'phedex checksum -h' for usage.");
      return PX_EXIT_USAGE;
    }
  int status = PX_EXIT_OK;
  for (int i = 1; i < argc; i++)
    {
      PxChecksum c;
      g_autofree char *why = NULL;
      if (!px_checksum_file (argv[i], &c, &why))
        {
          px_cli_error ("checksum", "%s", why);
          status = PX_EXIT_FAILURE;
          continue;
        }
      g_autofree char *s = px_checksum_format (&c);
      printf ("%" G_GUINT64_FORMAT "\t%s\t%s\n", c.bytes, s, argv[i]);
    }
  return status;
}
