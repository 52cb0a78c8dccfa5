/* cli.h — the `phedex` command table, the context the dispatcher hands each
 * command, and helpers shared by subcommands.
 *
 * A command is { name, fn, flags, summary } (git's commands[] with
 * RUN_SETUP, ostree's builtin flags).  Its fn parses its options with
 * px_cli_parse, which adds --db for PX_CLI_DB commands and then does the
 * setup the flags ask for, once for every command: connect, check the
 * schema, resolve --node and --from.  A command returns FALSE with an error
 * set; the dispatcher (cli/phedex.c, or cli/launcher.c for the commands the
 * launcher serves) prints "phedex CMD: message" and picks the exit status
 * from the error (px_cli_finish). */
#pragma once

#include "common/px-common.h"
#include "tmdb/tmdb.h"

#define PX_CLI_ERROR (px_cli_error_quark ())
GQuark px_cli_error_quark (void);
typedef enum
{
  PX_CLI_ERROR_FAILED,    /* exit 1 */
  PX_CLI_ERROR_USAGE,     /* exit 2: the command line is wrong */
  PX_CLI_ERROR_TRANSIENT, /* exit 3: worth retrying (phedex transfer) */
} PxCliError;
#define PX_CLI_EXIT_TRANSIENT 3

typedef enum
{
  PX_CLI_NO_SETUP = 0,
  PX_CLI_DB = 1 << 0,         /* --db: connect (--db, else $PHEDEX_DB, else PG* env), check the schema is current */
  PX_CLI_ANY_SCHEMA = 1 << 1, /* with PX_CLI_DB: any schema version, or none (phedex db) */
  PX_CLI_NODE = 1 << 2,       /* with PX_CLI_DB: --node and --from, when given, name nodes that exist */
  PX_CLI_READ = 1 << 4,       /* with PX_CLI_DB: reads only, so --db-read / $PHEDEX_DB_READ (a streaming
                               * replica) is used when given */
  PX_CLI_DEFER = 1 << 3,      /* the command calls px_cli_setup itself when its arguments need it (catalog
                               * export does, catalog list does not) */
} PxCliFlags;

typedef struct _PxCli PxCli;

typedef struct
{
  const char *name;
  gboolean (*fn) (PxCli *cli, int argc, char **argv, GError **error);
  PxCliFlags flags;
  const char *summary;
} PxCommand;

/* What the dispatcher gives a command; filled by px_cli_parse. */
struct _PxCli
{
  const PxCommand *command;
  char *conninfo;   /* --db */
  char *conninfo_read; /* --db-read (PX_CLI_READ) */
  PxTmdb *db;       /* connected (PX_CLI_DB) */
  char *node;       /* --node (PX_CLI_NODE_ENTRY): a node that exists, or NULL */
  gint64 node_id;   /* its id */
  char *from;       /* --from (PX_CLI_FROM_ENTRY): a node that exists, or NULL */
  gboolean json;    /* --json (PX_CLI_JSON_ENTRY) */
  /* The setup of a PX_CLI_DB command (px_cli_setup); NULL in the launcher,
   * whose commands need none. */
  gboolean (*setup) (PxCli *cli, GError **error);
};

/* Option entries bound to the context; HELP says what the option means to
 * this command. */
#define PX_CLI_NODE_ENTRY(cli, help) { "node", 'n', 0, G_OPTION_ARG_STRING, &(cli)->node, (help), "NODE" }
#define PX_CLI_FROM_ENTRY(cli, help) { "from", 'f', 0, G_OPTION_ARG_STRING, &(cli)->from, (help), "NODE" }
#define PX_CLI_JSON_ENTRY(cli, help) { "json", 0, 0, G_OPTION_ARG_NONE, &(cli)->json, (help), NULL }

/* Parse ARGV with ENTRIES ("phedex NAME PARAMS"; SUMMARY goes into the help;
 * -h prints it and exits 0), then do the setup the command's flags ask for.
 * A bad command line is a PX_CLI_ERROR_USAGE error. */
gboolean px_cli_parse (PxCli *cli, const char *params, const char *summary, GOptionEntry *entries, int *argc,
                       char ***argv, GError **error);

/* The setup the command's flags ask for (px_cli_parse does it unless
 * PX_CLI_DEFER). */
gboolean px_cli_setup (PxCli *cli, GError **error);

/* NAME is a node (its id in *ID if not NULL); else "unknown node 'NAME'
 * (see 'phedex nodes')".  The dispatcher checks --node and --from with it. */
gboolean px_cli_resolve_node (PxCli *cli, const char *name, gint64 *id, GError **error);

/* Set a PX_CLI_ERROR_USAGE error followed by "Try 'phedex NAME -h' for
 * usage."; returns FALSE. */
gboolean px_cli_usage (const PxCli *cli, GError **error, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Set a PX_CLI_ERROR_FAILED error; returns FALSE. */
gboolean px_cli_fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* The exit status for ERROR (NULL: 0). */
int px_cli_exit_status (const GError *error);
/* How COMMAND went: OK, or print "phedex NAME: message" for ERROR (the one
 * place a command's error is printed); returns the exit status. */
int px_cli_finish (const PxCommand *command, gboolean ok, GError *error);

/* The full command line (cli/phedex.c), the entry of phedex-cli.so: runs
 * `phedex ARGV...` exactly as the `phedex` program would (ARGV[0] is the
 * program) and returns the exit status. */
int px_cli_module_main (int argc, char **argv);
/* Print "phedex NAME: message" to stderr: a warning, or one of several
 * failures the command sums up in its error. */
void px_cli_warn (const PxCli *cli, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* "1.2 GB" */
char *px_cli_bytes (gint64 bytes);

gboolean px_cmd_lfn2pfn (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_pfn2lfn (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_db (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_node (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_link (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_inject (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_subscribe (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_unsubscribe (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_suspend (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_resume (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_delete (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_why (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_replicas (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_nodes (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_links (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_queue (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_errors (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_status (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_demo (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_checksum (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_transfer (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_catalog (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_handoff (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_unmerged (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_block (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_dataset (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_policy (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_unmerged_scan (PxCli *cli, int argc, char **argv, GError **error);
gboolean px_cmd_audit (PxCli *cli, int argc, char **argv, GError **error);

/* Record a data manager's ACTION in the audit log (cli/cmd-audit.c), once it
 * is done: --node when given, then KEY, VALUE string pairs (a NULL value is
 * left out), NULL-terminated.  The database adds the role and the time. */
gboolean px_cli_audit (PxCli *cli, const char *action, GError **error, ...) G_GNUC_NULL_TERMINATED;

/* The lists behind `phedex nodes` / `node list` and `phedex links` / `link
 * list` (cli/cmd-nodes.c, cli/cmd-links.c). */
gboolean px_cli_print_nodes (PxCli *cli, GError **error);
gboolean px_cli_print_links (PxCli *cli, GError **error);
