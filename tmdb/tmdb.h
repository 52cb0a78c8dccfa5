/* tmdb.h — the transfer management database: connection, the statement
 * table, claims, LISTEN/NOTIFY and migrations.  The only module that knows
 * libpq; everything else sees PxTmdb and PxRows. */
#pragma once

#include <glib.h>

#define PX_TMDB_ERROR (px_tmdb_error_quark ())
GQuark px_tmdb_error_quark (void);
typedef enum
{
  PX_TMDB_ERROR_RETRY,    /* serialization failure, deadlock, lost connection: try again */
  PX_TMDB_ERROR_FAILED,   /* the statement is wrong for this data: do not retry */
  PX_TMDB_ERROR_SCHEMA,   /* the database has no or an unknown schema version */
} PxTmdbError;

typedef struct _PxTmdb PxTmdb;
typedef struct _PxRows PxRows;

/* CONNINFO may be NULL or "" (libpq's environment: PGHOST, ...).  APPNAME
 * becomes fallback_application_name (e.g. "download@T1_X"). */
PxTmdb *px_tmdb_connect (const char *conninfo, const char *appname, GError **error);
/* The same with libpq's passfile (NULL or "": libpq's default, PGPASSFILE or
 * ~/.pgpass).  Messages never show a password of CONNINFO (masked). */
PxTmdb *px_tmdb_connect_full (const char *conninfo, const char *appname, const char *passfile, GError **error);
void px_tmdb_free (PxTmdb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTmdb, px_tmdb_free)
/* UNNAMED: send every statement with its text (PQexecParams) instead of
 * preparing it once by name, for a connection through a transaction-mode
 * pooler (PgBouncer), where consecutive transactions may run on different
 * server sessions.  Costs a parse per call; plans are always custom. */
void px_tmdb_set_unnamed (PxTmdb *db, gboolean unnamed);
/* FALSE once the connection is lost (reconnect with a new PxTmdb). */
gboolean px_tmdb_is_ok (PxTmdb *db);

/* Run literal SQL without parameters (migrations, BEGIN/COMMIT, LISTEN). */
gboolean px_tmdb_exec_sql (PxTmdb *db, const char *sql, GError **error);
gboolean px_tmdb_begin (PxTmdb *db, GError **error);
gboolean px_tmdb_commit (PxTmdb *db, GError **error);
void px_tmdb_rollback (PxTmdb *db);
/* TRUE while DB is inside a transaction block (BEGIN without its end yet). */
gboolean px_tmdb_in_transaction (PxTmdb *db);

/* Bulk load: SQL is a "COPY ... FROM STDIN" statement, DATA tab-separated
 * text rows (use px_tmdb_copy_field to escape). */
gboolean px_tmdb_copy_in (PxTmdb *db, const char *sql, const GString *data, GError **error);

/* Injections staged for the inject_* statements: rows added one file at a
 * time, then, inside the caller's transaction, a temporary px_inject table
 * (dropped at commit) filled by COPY. */
typedef struct _PxTmdbInjectRows PxTmdbInjectRows;
PxTmdbInjectRows *px_tmdb_inject_rows_new (void);
void px_tmdb_inject_rows_free (PxTmdbInjectRows *rows);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTmdbInjectRows, px_tmdb_inject_rows_free)
void px_tmdb_inject_rows_add (PxTmdbInjectRows *rows, const char *dataset, gboolean dataset_open, const char *dbs,
                              const char *block, gboolean block_open, const char *lfn, guint64 bytes,
                              const char *checksum, const char *guid);
/* ROWS may be NULL: an empty staging table (to describe the statements). */
gboolean px_tmdb_inject_stage (PxTmdb *db, const PxTmdbInjectRows *rows, GError **error);
void px_tmdb_copy_field (GString *out, const char *value);

guint px_rows_count (const PxRows *rows);
guint px_rows_affected (const PxRows *rows);
void px_rows_free (PxRows *rows);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxRows, px_rows_free)

/* Cancel from a signal handler: make DB the connection whose running
 * statement px_tmdb_cancel_from_signal () cancels (NULL: none).  Call it
 * from the thread that owns the connection, outside the handler. */
void px_tmdb_set_signal_cancel (PxTmdb *db);
/* Async-signal-safe (PQcancel with a stack buffer): ask the server to
 * cancel the statement now running on that connection, if any. */
void px_tmdb_cancel_from_signal (void);

/* LISTEN/NOTIFY. */
gboolean px_tmdb_listen (PxTmdb *db, const char *channel, GError **error);
int px_tmdb_socket (PxTmdb *db);
/* Read what arrived; returns the number of notifications (0 if none), -1
 * when the connection is lost. */
int px_tmdb_drain_notifies (PxTmdb *db);
/* The same, counting only notifications whose payload is not in IGNORE (a
 * NULL-terminated list; NULL: count all); of those, the ones on channel
 * SLOW_CHANNEL (if not NULL) are also counted in *SLOW. */
int px_tmdb_drain_notifies_except (PxTmdb *db, const char *const *ignore, const char *slow_channel, int *slow);

/* Migrations (tmdb/schema/NNN-*.sql, compiled in). */
int px_tmdb_schema_latest (void);
/* Current version, 0 for an empty database. */
gboolean px_tmdb_schema_version (PxTmdb *db, int *version, GError **error);
/* Apply every migration above the current version, each in a transaction. */
gboolean px_tmdb_migrate (PxTmdb *db, gboolean allow_existing, int *from, int *to, GError **error);
/* Fail with PX_TMDB_ERROR_SCHEMA unless the schema is the latest. */
gboolean px_tmdb_check_schema (PxTmdb *db, GError **error);

/* ---- the typed boundary ----
 * A statement is a name the compiler checks (tmdb/tmdb-sql.h lists them):
 *   g_autoptr(PxRows) r = px_tmdb_query (db, px_sql_router_route, error, PX_INT (node), PX_ARRAY (nodes));
 * Its result shape (column names) is checked against the declaration once
 * per connection; callers read columns by name: px_rows_int (r, 0, "queued"). */
typedef struct
{
  const char *name;    /* the prepared statement's name */
  const char *columns; /* its result columns, comma-separated ("" for none) */
  const char *sql;
} PxTmdbStatement;
#include "tmdb/tmdb-sql.h"

/* An array parameter ($n::type[]) built value by value; quoting and
 * escaping are its business. */
typedef struct _PxTmdbArray PxTmdbArray;
PxTmdbArray *px_tmdb_array_new (void);
void px_tmdb_array_free (PxTmdbArray *array);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTmdbArray, px_tmdb_array_free)
void px_tmdb_array_text (PxTmdbArray *array, const char *value); /* NULL: SQL NULL */
void px_tmdb_array_int (PxTmdbArray *array, gint64 value);
void px_tmdb_array_double (PxTmdbArray *array, double value);
void px_tmdb_array_bool (PxTmdbArray *array, gboolean value);
guint px_tmdb_array_len (const PxTmdbArray *array);

typedef enum
{
  PX_TMDB_PARAM_NULL,
  PX_TMDB_PARAM_INT,
  PX_TMDB_PARAM_DOUBLE,
  PX_TMDB_PARAM_TEXT,
  PX_TMDB_PARAM_BOOL,
  PX_TMDB_PARAM_ARRAY,
} PxTmdbParamType;
typedef struct
{
  PxTmdbParamType type;
  gint64 i;
  double d;
  const char *s;
  const PxTmdbArray *a;
} PxTmdbParam;
#define PX_INT(v) ((PxTmdbParam){ .type = PX_TMDB_PARAM_INT, .i = (gint64) (v) })
#define PX_DOUBLE(v) ((PxTmdbParam){ .type = PX_TMDB_PARAM_DOUBLE, .d = (double) (v) })
#define PX_TEXT(v) ((PxTmdbParam){ .type = PX_TMDB_PARAM_TEXT, .s = (v) }) /* NULL: SQL NULL */
#define PX_BOOL(v) ((PxTmdbParam){ .type = PX_TMDB_PARAM_BOOL, .i = (v) ? 1 : 0 })
#define PX_ARRAY(v) ((PxTmdbParam){ .type = PX_TMDB_PARAM_ARRAY, .a = (v) })
#define PX_NULL ((PxTmdbParam){ .type = PX_TMDB_PARAM_NULL })

PxRows *px_tmdb_query_params (PxTmdb *db, const PxTmdbStatement *statement, guint n, const PxTmdbParam *params,
                              GError **error);
#define px_tmdb_query(db, statement, error, ...) \
  px_tmdb_query_params ((db), &(statement), G_N_ELEMENTS (((const PxTmdbParam[]){ __VA_ARGS__ })), \
                        (const PxTmdbParam[]){ __VA_ARGS__ }, (error))
#define px_tmdb_query0(db, statement, error) px_tmdb_query_params ((db), &(statement), 0, NULL, (error))

/* Columns by name (a name the statement does not return is a programmer
 * error).  NULL / 0 / FALSE for SQL NULL.  Resolved once per result and
 * name (remembered by address, confirmed by one comparison, so any string
 * is safe). */
const char *px_rows_text (const PxRows *rows, guint row, const char *column);
gint64 px_rows_int (const PxRows *rows, guint row, const char *column);
double px_rows_double (const PxRows *rows, guint row, const char *column);
gboolean px_rows_bool (const PxRows *rows, guint row, const char *column);
gboolean px_rows_is_null (const PxRows *rows, guint row, const char *column);
/* Whether the result has COLUMN at all. */
gboolean px_rows_has (const PxRows *rows, const char *column);

/* Check STATEMENT's result shape against the database without running it
 * (PQdescribePrepared): for tests. */
gboolean px_tmdb_describe (PxTmdb *db, const PxTmdbStatement *statement, GError **error);
