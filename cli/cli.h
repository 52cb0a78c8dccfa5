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

#include "tmdb/tmdb.h"

/* The --db option every database command takes. */
#define PX_CLI_DB_ENTRY(var) \
  { "db", 0, 0, G_OPTION_ARG_STRING, &(var), "TMDB connection (libpq conninfo; default $PHEDEX_DB, else PG* environment)", "CONNINFO" }
/* Connect (--db, else $PHEDEX_DB, else libpq's environment) and, unless
 * ANY_SCHEMA, check the schema is current.  NULL after printing the error. */
PxTmdb *px_cli_connect (const char *name, const char *db, gboolean any_schema);
/* "1.2 GB" */
char *px_cli_bytes (gint64 bytes);
/* TRUE if NODE is NULL or a node; else print "unknown node 'NODE'" for CMD (cli/cmd-nodes.c). */
gboolean px_cli_known_node (const char *cmd, PxTmdb *tmdb, const char *node);

int px_cmd_db (int argc, char **argv);
int px_cmd_node (int argc, char **argv);
int px_cmd_link (int argc, char **argv);
int px_cmd_inject (int argc, char **argv);
int px_cmd_subscribe (int argc, char **argv);
int px_cmd_unsubscribe (int argc, char **argv);
int px_cmd_suspend (int argc, char **argv);
int px_cmd_resume (int argc, char **argv);
int px_cmd_delete (int argc, char **argv);
int px_cmd_why (int argc, char **argv);
int px_cmd_replicas (int argc, char **argv);
int px_cmd_nodes (int argc, char **argv);
int px_cmd_links (int argc, char **argv);
int px_cmd_queue (int argc, char **argv);
int px_cmd_errors (int argc, char **argv);
int px_cmd_status (int argc, char **argv);
int px_cmd_demo (int argc, char **argv);
int px_cmd_checksum (int argc, char **argv);
int px_cmd_transfer (int argc, char **argv);
int px_cmd_catalog (int argc, char **argv);
