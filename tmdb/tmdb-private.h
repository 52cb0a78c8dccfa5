/* tmdb-private.h — for the statement files only. */
#pragma once
#include "tmdb.h"

/* Define statement px_sql_ID (declared in tmdb-sql.h) returning COLUMNS. */
#define PX_SQL(id, columns, text) const PxTmdbStatement px_sql_##id = { #id, columns, text }

/* A hand-off policy's (handoff_policies p) glob pattern as a LIKE pattern. */
#define PX_POLICY_LIKE "replace(replace(replace(replace(p.pattern, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%')"

