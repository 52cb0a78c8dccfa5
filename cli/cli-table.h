/* cli-table.h — the reports' printer is the library's (tmdb/tmdb-table.h,
 * shared with webmon); what only the CLI's commands share is here. */
#pragma once

#include "cli.h"
#include "tmdb/tmdb-table.h"

/* The table of `phedex errors` (cli/cmd-errors.c) for rows of the
 * report_errors statement; `phedex status` shows it too. */
PxTable *px_cli_errors_table (const PxRows *rows);
