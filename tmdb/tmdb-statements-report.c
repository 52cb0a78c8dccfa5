/* tmdb-statements-report.c — the read-only reports behind `phedex queue`,
 * `errors`, `nodes`, `links` and `status`: one statement per report, all
 * aggregation in SQL. */
#include "config.h"
#include "tmdb.h"

const PxTmdbStatement px_tmdb_report_statements[] = {
  { NULL }
};
