/* tmdb-table.h — the reports' printer (the CLI's tables and webmon's pages and API): rows of cells under named columns,
 * shown to people as aligned text and to scripts (--json) as a JSON array of
 * objects whose keys are the columns' keys.
 *
 *   static const PxTableColumn cols[] = {
 *     { "node", "NODE", PX_TABLE_TEXT }, { "bytes", "BYTES", PX_TABLE_BYTES }, { NULL }
 *   };
 *   g_autoptr(PxTable) t = px_table_new (cols);
 *   px_table_add_rows (t, rows);          // each column from the SQL column of its name
 *   px_table_print (t, json);
 *
 * A column reads the SQL column its sql names ({ "storage_xml", "STORAGE.XML",
 * PX_TABLE_BOOL, .sql = "has_tfc" }), else the one named as its key.
 *
 * Cells hold the value as SQL gives it (text; NULL = none) and the column's
 * type says how each form shows it. */
#pragma once

#include "common/px-common.h"
#include "common/px-json.h"
#include "tmdb/tmdb.h"

typedef enum
{
  PX_TABLE_TEXT,    /* as is; JSON string */
  PX_TABLE_INT,     /* a number as SQL prints it; JSON number */
  PX_TABLE_BYTES,   /* a byte count: "1.2 MB"; JSON number of bytes */
  PX_TABLE_RATE,    /* bytes per second: "1.2 MB/s"; JSON number */
  PX_TABLE_SECONDS, /* a duration: "1h05m"; JSON number of seconds */
  PX_TABLE_BOOL,    /* SQL boolean: "yes"/"no"; JSON true/false */
  PX_TABLE_LIST,    /* comma-separated names: as is; JSON array of strings */
} PxTableType;

typedef enum
{
  PX_TABLE_DEFAULT = 0,
  PX_TABLE_LEFT = 1 << 0,       /* align left (the default for TEXT, BOOL and LIST) */
  PX_TABLE_RIGHT = 1 << 1,      /* align right (the default for numbers) */
  PX_TABLE_HUMAN_ONLY = 1 << 2, /* not in JSON (e.g. "3/6" where JSON has both numbers) */
  PX_TABLE_JSON_ONLY = 1 << 3,  /* not in the text table */
  PX_TABLE_BELOW = 1 << 4,      /* text: on its own indented line under the row, first line only, cut to the
                                 * terminal's width (long logs); JSON: in full */
} PxTableFlags;

typedef struct
{
  const char *key;    /* JSON key; NULL ends the array */
  const char *header; /* text header (may be NULL for JSON_ONLY and BELOW columns) */
  PxTableType type;
  PxTableFlags flags;
  const char *sql;    /* the result column it shows (NULL: the one named KEY) */
} PxTableColumn;

typedef struct _PxTable PxTable;

/* COLUMNS: ended by { NULL }; must outlive the table (a static array). */
PxTable *px_table_new (const PxTableColumn *columns);
void px_table_free (PxTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTable, px_table_free)

/* A row from row I of ROWS: each cell the value of its column's SQL column
 * as SQL prints it (NULL: none, "-" in text, null in JSON). */
void px_table_add_row (PxTable *table, const PxRows *rows, guint i);
/* One row per row of ROWS. */
void px_table_add_rows (PxTable *table, const PxRows *rows);
/* A row of cells to fill with px_table_set (for rows not from SQL). */
void px_table_row (PxTable *table);
/* The last row's cell under KEY holds VALUE (NULL: none). */
void px_table_set (PxTable *table, const char *key, const char *value);
/* The text table shows HUMAN instead of the last row's cell under KEY. */
void px_table_set_human (PxTable *table, const char *key, const char *human);
guint px_table_count (const PxTable *table);

/* Aligned text: a header line, then one line per row (no trailing blanks). */
void px_table_append_text (const PxTable *table, GString *out);
/* A JSON array of objects, one row per line. */
void px_table_append_json (const PxTable *table, GString *out);
/* Either of the above to stdout. */
void px_table_print (const PxTable *table, gboolean json);

/* "45s", "12m05s", "3h07m", "2d04h". */
char *px_table_seconds (gint64 seconds);


/* HTML: a <table> with CAPTION, <th scope=col> headers and one <tr> per row;
 * every cell escaped (valid UTF-8, control characters blanked). */
void px_table_append_html (const PxTable *table, const char *caption, GString *out);
/* TEXT escaped for HTML text and attribute values (invalid UTF-8 as U+FFFD). */
void px_html_escape (GString *out, const char *text);

/* TABLE as px_table_append_json writes it, as a member of J (common/px-json.h). */
void px_json_table (PxJson *j, const char *key, const PxTable *table);

/* The columns of the reports both `phedex` and webmon show (one layout). */
extern const PxTableColumn px_table_links_columns[]; /* report_links */
extern const PxTableColumn px_table_nodes_columns[]; /* report_nodes */
