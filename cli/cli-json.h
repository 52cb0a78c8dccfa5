/* cli-json.h — the CLI's --json goes through the library's one JSON writer
 * (common/px-json.h) and its tables (tmdb/tmdb-table.h). */
#pragma once

#include "cli.h"
#include "common/px-json.h"
#include "tmdb/tmdb-table.h"
