/* phedex lfn2pfn / pfn2lfn — check a site's storage.xml from the shell.
 * Names come from the command line or, with none, one per line from stdin
 * (streamed: memory does not grow with the number of names). */
#include "cli.h"
#include "lfn2pfn/tfc.h"
#include "lfn2pfn/lfn.h"
#include <string.h>
#include <errno.h>

static int
run (PxTfcDirection dir, int argc, char **argv)
{
  const char *name = dir == PX_TFC_LFN_TO_PFN ? "lfn2pfn" : "pfn2lfn";
  const char *from = dir == PX_TFC_LFN_TO_PFN ? "lfn" : "pfn";
  const char *to = dir == PX_TFC_LFN_TO_PFN ? "pfn" : "lfn";
  g_autofree char *tfc_path = NULL, *protocol = NULL, *destination = NULL;
  gboolean custodial = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    { "tfc", 't', 0, G_OPTION_ARG_FILENAME, &tfc_path, "the site's trivial file catalogue", "STORAGE.XML" },
    { "protocol", 'p', 0, G_OPTION_ARG_STRING, &protocol, "protocol whose rules apply (direct, srmv2, davs, ...)", "P" },
    { "destination", 'd', 0, G_OPTION_ARG_STRING, &destination, "destination node, for destination-match rules", "NODE" },
    { "custodial", 'c', 0, G_OPTION_ARG_NONE, &custodial, "query custodial rules (is-custodial=\"y\")", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print a JSON array of {" "name, result, space_token}", NULL },
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
  if (!px_cli_parse (name, "[NAME...]", summary, entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!tfc_path || !protocol)
    {
      px_cli_error (name, "--tfc and --protocol are required\nTry 'phedex %s -h' for usage.", name);
      return PX_EXIT_USAGE;
    }

  g_autoptr(GError) error = NULL;
  g_autoptr(PxTfc) tfc = px_tfc_load_file (tfc_path, &error);
  if (!tfc)
    {
      px_cli_error (name, "%s", error->message);
      return PX_EXIT_FAILURE;
    }
  const GPtrArray *warnings = px_tfc_get_warnings (tfc);
  for (guint w = 0; w < warnings->len; w++)
    px_cli_error (name, "warning: %s", (const char *) g_ptr_array_index (warnings, w));
  g_autoptr(PxTfcMapper) mapper = px_tfc_mapper_new (tfc, dir, protocol, destination, custodial, &error);
  if (!mapper)
    {
      px_cli_error (name, "%s", error->message);
      return PX_EXIT_FAILURE;
    }

  g_autoptr(GString) out = g_string_sized_new (512);
  g_autoptr(GString) line = g_string_sized_new (4096);
  guint64 total = 0, failed = 0;
  gboolean first = TRUE;
  if (json)
    fputs ("[", stdout);

  char *buf = NULL;
  size_t cap = 0;
  int i = 1;
  for (;;)
    {
      const char *in;
      if (argc > 1)
        {
          if (i >= argc)
            break;
          in = argv[i++];
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
            px_cli_error (name, "%s", map_error->message);
          else
            px_cli_error (name, "cannot map '%s': %s", in, map_error->message);
          continue;
        }
      if (res != PX_TFC_MATCH)
        {
          failed++;
          fprintf (stderr, "phedex %s: no %s rule of protocol '%s'%s%s%s matches '%s'\n", name,
                   px_tfc_direction_name (dir), protocol, destination ? " for destination '" : "",
                   destination ? destination : "", destination ? "'" : "", in);
          continue;
        }
      if (json)
        {
          g_string_assign (line, first ? "\n  {\"" : ",\n  {\"");
          g_string_append (line, from);
          g_string_append (line, "\": ");
          px_json_append_string (line, in);
          g_string_append_printf (line, ", \"%s\": ", to);
          px_json_append_string (line, out->str);
          g_string_append (line, ", \"space_token\": ");
          px_json_append_string (line, token);
          g_string_append (line, "}");
          fwrite (line->str, 1, line->len, stdout);
        }
      else
        {
          fputs (in, stdout);
          fputc ('\t', stdout);
          fwrite (out->str, 1, out->len, stdout);
          fputc ('\n', stdout);
        }
      first = FALSE;
    }
  free (buf);
  if (json)
    fputs (first ? "]\n" : "\n]\n", stdout);
  if (fflush (stdout) != 0)
    {
      px_cli_error (name, "cannot write output: %s", g_strerror (errno));
      return PX_EXIT_FAILURE;
    }
  if (failed)
    {
      px_cli_error (name, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " names did not map", failed, total);
      return PX_EXIT_FAILURE;
    }
  return PX_EXIT_OK;
}

int
px_cmd_lfn2pfn (int argc, char **argv)
{
  return run (PX_TFC_LFN_TO_PFN, argc, argv);
}

int
px_cmd_pfn2lfn (int argc, char **argv)
{
  return run (PX_TFC_PFN_TO_LFN, argc, argv);
}
