/* px-json.h — the one writer of JSON output (the CLI's --json, webmon's API)
 * besides the tables' (tmdb/tmdb-table.h, which px_json_table embeds).  Compact objects on one line
 * ("key":value, what scripts grep); the elements of a top-level array one
 * per line.  Commas and nesting are its business:
 *
 *   PxJson j;
 *   px_json_init (&j);
 *   px_json_begin_object (&j, NULL);
 *   px_json_string (&j, "node", node);
 *   px_json_int (&j, "files", n);
 *   px_json_end (&j);
 *   px_json_print (&j);   // to stdout, with a newline; clears
 */
#pragma once

#include "common/px-common.h"

typedef enum
{
  PX_JSON_SPACED,
  PX_JSON_COMPACT,
} PxJsonStyle;

typedef struct _PxJson
{
  GString *out;
  PxJsonStyle style;
  guint depth;
  guint64 started; /* bit d: depth d has a member already */
  guint64 arrays;  /* bit d: depth d is an array */
} PxJson;

void px_json_init (PxJson *j, PxJsonStyle style);
void px_json_clear (PxJson *j);

/* KEY names the value inside an object; NULL inside an array or at the top. */
void px_json_begin_object (PxJson *j, const char *key);
void px_json_begin_array (PxJson *j, const char *key);
/* Close the innermost object or array. */
void px_json_end (PxJson *j);

void px_json_string (PxJson *j, const char *key, const char *value); /* NULL: null */
void px_json_int (PxJson *j, const char *key, gint64 value);
/* VALUE with DIGITS decimals; null when not finite. */
void px_json_fixed (PxJson *j, const char *key, double value, int digits);
void px_json_bool (PxJson *j, const char *key, gboolean value);
void px_json_null (PxJson *j, const char *key);
/* The separator and KEY before a value written by hand into j->out. */
void px_json_member (PxJson *j, const char *key);

/* Write what was built so far to stdout and forget it (streaming a long
 * array); px_json_print also ends the line. */
void px_json_flush (PxJson *j);
void px_json_print (PxJson *j);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PxJson, px_json_clear)
