/* cli.h — the `phedex` command table and helpers shared by subcommands. */
#pragma once

#include "common/px-common.h"

typedef struct
{
  const char *name;
  int (*fn) (int argc, char **argv);
  const char *summary;
} PxCommand;

/* Parse ARGV with ENTRIES for subcommand NAME ("phedex NAME"): -h prints the
 * help and exits 0; a usage error prints it with a hint and returns FALSE
 * (the caller exits PX_EXIT_USAGE).  PARAMS and SUMMARY go into the help. */
gboolean px_cli_parse (const char *name, const char *params, const char *summary, GOptionEntry *entries,
                       int *argc, char ***argv);

/* Print "phedex NAME: message" to stderr. */
void px_cli_error (const char *name, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

int px_cmd_lfn2pfn (int argc, char **argv);
int px_cmd_pfn2lfn (int argc, char **argv);
