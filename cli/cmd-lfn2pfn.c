/* phedex lfn2pfn / pfn2lfn — check a site's storage.xml from the shell.
 * Names come from the command line or, with none, one per line from stdin
 * (streamed: memory does not grow with the number of names). */
#include "cli-json.h"
#include "lfn2pfn/tfc.h"
#include "lfn2pfn/lfn.h"
#include <string.h>
#include <unistd.h>
#include <errno.h>

/* Write BATCH to standard output (text mode: stdio never holds any of it)
 * and empty it; FALSE with errno set when the write failed. */
static gboolean
write_batch (GString *batch)
{
  const char *p = batch->str;
  gsize left = batch->len;
  while (left > 0)
    {
      ssize_t n = write (STDOUT_FILENO, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      p += n;
      left -= (gsize) n;
    }
  g_string_truncate (batch, 0);
  return TRUE;
}

static gboolean
run (PxCli *cli, PxTfcDirection dir, int argc, char **argv, GError **error)
{
  const char *from = dir == PX_TFC_LFN_TO_PFN ? "lfn" : "pfn";
  const char *to = dir == PX_TFC_LFN_TO_PFN ? "pfn" : "lfn";
  g_autofree char *tfc_path = NULL, *protocol = NULL, *destination = NULL;
  gboolean custodial = FALSE;
  GOptionEntry entries[] = {
    { "tfc", 't', 0, G_OPTION_ARG_FILENAME, &tfc_path, "the site's trivial file catalogue", "STORAGE.XML" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol, "protocol whose rules apply (direct, srmv2, davs, ...)", "P" },
    { "destination", 'd', 0, G_OPTION_ARG_STRING, &destination, "destination node, for destination-match rules", "NODE" },
    { "custodial", 'c', 0, G_OPTION_ARG_NONE, &custodial, "query custodial rules (is-custodial=\"y\")", NULL },
    PX_CLI_JSON_ENTRY (cli, "print a JSON array of {name, result, space_token}"),
    { NULL }
  };
  g_autofree char *summary = g_strdup_printf (
      "Map %s names to %s names with the %s rules of a storage.xml.\n"
      "With no NAME, names are read one per line from standard input.\n"
      "Each mapped name prints as 'NAME<TAB>RESULT' on stdout; a name no rule\n"
      "matches, or that reaches a broken rule, is reported on stderr and the\n"
      "exit status is 1.  Problems found in the catalogue are warned about once.",
      dir == PX_TFC_LFN_TO_PFN ? "logical" : "physical", dir == PX_TFC_LFN_TO_PFN ? "physical" : "logical",
      px_tfc_direction_name (dir));
  if (!px_cli_parse (cli, "[NAME...]", summary, entries, &argc, &argv, error))
    return FALSE;
  if (!tfc_path || !protocol)
    return px_cli_usage (cli, error, "--tfc and --protocol are required");

  g_autoptr(PxTfc) tfc = px_tfc_load_file (tfc_path, error);
  if (!tfc)
    return FALSE;
  const GPtrArray *warnings = px_tfc_get_warnings (tfc);
  for (guint w = 0; w < warnings->len; w++)
    px_cli_warn (cli, "warning: %s", (const char *) g_ptr_array_index (warnings, w));
  g_autoptr(PxTfcMapper) mapper = px_tfc_mapper_new (tfc, dir, protocol, destination, custodial, error);
  if (!mapper)
    return FALSE;

  g_autoptr(GString) out = g_string_sized_new (512);
  guint64 total = 0, failed = 0;
  /* Streamed: each object is written as it is mapped. */
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_SPACED);
  px_json_begin_array (&j, NULL);

  char *buf = NULL;
  size_t cap = 0;
  int i = 1;
  /* A million names are a few hundred MB through the pipes, and 4 KiB
   * writes would cost a system call per 30 names: input comes through a
   * 1 MiB stdio buffer; text output gathers in BATCH and goes out with one
   * write() per 1 MiB (JSON through a 1 MiB stdio buffer).  On a terminal
   * each line goes out as it is mapped. */
  static char inbuf[1 << 20], outbuf[1 << 20];
  const gsize batch_max = 1 << 20;
  gboolean interactive = isatty (STDOUT_FILENO);
  setvbuf (stdin, inbuf, _IOFBF, sizeof inbuf);
  if (!interactive)
    setvbuf (stdout, outbuf, _IOFBF, sizeof outbuf);
  g_autoptr(GString) batch = g_string_sized_new (batch_max + 4096);
  int write_errno = 0;
  for (;;)
    {
      const char *in;
      gsize in_len;
      if (argc > 1)
        {
          if (i >= argc)
            break;
          in = argv[i++];
          in_len = strlen (in);
        }
      else
        {
          ssize_t n = getline (&buf, &cap, stdin);
          if (n < 0)
            break;
          while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
          if (n == 0)
            continue;
          in = buf;
          in_len = (gsize) n;
        }
      total++;
      const char *token = NULL;
      g_autoptr(GError) map_error = NULL;
      PxTfcResult res = px_tfc_mapper_map (mapper, in, out, &token, &map_error);
      if (res == PX_TFC_FAILED)
        {
          failed++;
          /* An invalid LFN's message names it, escaped; a rule's does not. */
          if (map_error->domain == PX_LFN_ERROR)
            px_cli_warn (cli, "%s", map_error->message);
          else
            px_cli_warn (cli, "cannot map '%s': %s", in, map_error->message);
          continue;
        }
      if (res != PX_TFC_MATCH)
        {
          failed++;
          px_cli_warn (cli, "no %s rule of protocol '%s'%s%s%s matches '%s'", px_tfc_direction_name (dir), protocol,
                       destination ? " for destination '" : "", destination ? destination : "",
                       destination ? "'" : "", in);
          continue;
        }
      if (cli->json)
        {
          px_json_begin_object (&j, NULL);
          px_json_string (&j, from, in);
          px_json_string (&j, to, out->str);
          px_json_string (&j, "space_token", token);
          px_json_end (&j);
          px_json_flush (&j);
        }
      else
        {
          g_string_append_len (batch, in, (gssize) in_len);
          g_string_append_c (batch, '\t');
          g_string_append_len (batch, out->str, (gssize) out->len);
          g_string_append_c (batch, '\n');
          if ((batch->len >= batch_max || interactive) && !write_batch (batch))
            {
              write_errno = errno;
              break;
            }
        }
    }
  if (!write_errno && !write_batch (batch))
    write_errno = errno;
  free (buf);
  px_json_end (&j);
  if (cli->json)
    px_json_print (&j);
  if (write_errno)
    return px_cli_fail (error, "cannot write output: %s", g_strerror (write_errno));
  if (fflush (stdout) != 0)
    return px_cli_fail (error, "cannot write output: %s", g_strerror (errno));
  if (failed)
    return px_cli_fail (error, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " names did not map", failed, total);
  return TRUE;
}

gboolean
px_cmd_lfn2pfn (PxCli *cli, int argc, char **argv, GError **error)
{
  return run (cli, PX_TFC_LFN_TO_PFN, argc, argv, error);
}

gboolean
px_cmd_pfn2lfn (PxCli *cli, int argc, char **argv, GError **error)
{
  return run (cli, PX_TFC_PFN_TO_LFN, argc, argv, error);
}
