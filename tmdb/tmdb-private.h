/* tmdb-private.h — for the statement files only. */
#pragma once
#include "tmdb.h"

/* Define statement px_sql_ID (declared in tmdb-sql.h) returning COLUMNS. */
#define PX_SQL(id, columns, text) const PxTmdbStatement px_sql_##id = { #id, columns, text }
