/* tmdb.c — libpq: connection, prepared statements, errors by SQLSTATE,
 * COPY, LISTEN/NOTIFY and migrations. */
#include "config.h"
#include "tmdb.h"
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_QUARK (px-tmdb-error-quark, px_tmdb_error)

struct _PxTmdb
{
  PGconn *conn;
  GHashTable *prepared; /* statement name → TRUE */
  GHashTable *checked;  /* statements whose result shape was checked */
  gboolean unnamed;     /* no named prepared statements: behind a transaction-mode pooler */
};

struct _PxRows
{
  PGresult *res;
  const PxTmdbStatement *st;
  int ncols;
  const char **seen; /* per column: the last name pointer resolved to it */
};

struct _PxTmdbArray
{
  GString *text; /* "{a,b,...": closed on use */
  guint len;
};

/* Compiled in from tmdb/schema/ (tmdb/schema.c, generated). */
extern const char *const px_tmdb_migrations[];
extern const int px_tmdb_n_migrations;

static void
set_pg_error (GError **error, PGconn *conn, const PGresult *res, const char *what)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  int code = PX_TMDB_ERROR_FAILED;
  if (PQstatus (conn) != CONNECTION_OK)
    code = PX_TMDB_ERROR_RETRY;
  else if (state && (strcmp (state, "40001") == 0 || strcmp (state, "40P01") == 0 || strncmp (state, "08", 2) == 0
                     || strcmp (state, "57P01") == 0))
    code = PX_TMDB_ERROR_RETRY;
  const char *msg = res ? PQresultErrorMessage (res) : PQerrorMessage (conn);
  g_autofree char *m = g_strchomp (g_strdup (msg && *msg ? msg : PQerrorMessage (conn)));
  g_set_error (error, PX_TMDB_ERROR, code, "%s: %s", what, m);
}

/* CONNINFO as messages may show it: with any password masked (a
 * key=value string or a URI alike). */
static char *
conninfo_for_messages (const char *conninfo)
{
  if (!conninfo || !*conninfo)
    return g_strdup ("PG* environment");
  PQconninfoOption *opts = PQconninfoParse (conninfo, NULL);
  if (!opts) /* a bare database name (libpq's expand_dbname), or a syntax error */
    {
      g_autofree char *lower = g_ascii_strdown (conninfo, -1);
      return g_strdup (strstr (lower, "password") || strchr (conninfo, '@') ? "a connection string, not shown here"
                                                                            : conninfo);
    }
  gboolean secret = FALSE;
  GString *s = g_string_new (NULL);
  for (PQconninfoOption *o = opts; o->keyword; o++)
    if (o->val && *o->val)
      {
        gboolean pw = strcmp (o->keyword, "password") == 0;
        secret |= pw;
        g_string_append_printf (s, "%s%s=%s", s->len ? " " : "", o->keyword, pw ? "*****" : o->val);
      }
  PQconninfoFree (opts);
  if (!secret)
    {
      g_string_free (s, TRUE);
      return g_strdup (conninfo);
    }
  return g_string_free (s, FALSE);
}

PxTmdb *
px_tmdb_connect (const char *conninfo, const char *appname, GError **error)
{
  return px_tmdb_connect_full (conninfo, appname, NULL, error);
}

PxTmdb *
px_tmdb_connect_full (const char *conninfo, const char *appname, const char *passfile, GError **error)
{
  /* Later keys override what CONNINFO (expanded as dbname) says. */
  const char *keys[] = { "dbname", "fallback_application_name", "connect_timeout", passfile && *passfile ? "passfile" : NULL,
                         NULL };
  const char *vals[] = { conninfo ? conninfo : "", appname ? appname : "phedex", "10", passfile, NULL };
  PGconn *conn = PQconnectdbParams (keys, vals, 1);
  if (!conn || PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *m = g_strchomp (g_strdup (conn ? PQerrorMessage (conn) : "out of memory"));
      g_autofree char *shown = conninfo_for_messages (conninfo);
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_RETRY, "cannot connect to the TMDB ('%s'%s%s): %s", shown,
                   passfile && *passfile ? ", passfile " : "", passfile && *passfile ? passfile : "", m);
      PQfinish (conn);
      return NULL;
    }
  PxTmdb *db = g_new0 (PxTmdb, 1);
  db->conn = conn;
  db->prepared = g_hash_table_new (g_str_hash, g_str_equal);
  db->checked = g_hash_table_new (NULL, NULL);
  /* Statements are prepared once per connection and run for days: a
   * cached generic plan, built once from whatever the statistics said then
   * (often: empty tables), would outlive them.  Each execution is planned
   * with its parameters (a few ms for the biggest statement), so a batch of
   * 5,000 ids or a node's own numbers shape the plan (issue #11).  No JIT:
   * the statements touch a batch of rows by key, and a plan whose estimate
   * crosses jit_above_cost (a CASE with a costly branch never taken) would
   * pay ~100 ms of compilation on every execution. */
  g_autoptr(PGresult) r = PQexec (conn, "SET client_min_messages = warning; SET plan_cache_mode = force_custom_plan; "
                                        "SET jit = off");
  return db;
}

void
px_tmdb_free (PxTmdb *db)
{
  if (!db)
    return;
  PQfinish (db->conn);
  g_hash_table_unref (db->prepared);
  g_hash_table_unref (db->checked);
  g_free (db);
}

gboolean
px_tmdb_is_ok (PxTmdb *db)
{
  return db && PQstatus (db->conn) == CONNECTION_OK;
}

static PxRows *
wrap (PGresult *res, const PxTmdbStatement *st)
{
  PxRows *rows = g_new (PxRows, 1);
  rows->res = res;
  rows->st = st;
  rows->ncols = PQnfields (res);
  rows->seen = g_new0 (const char *, MAX (rows->ncols, 1));
  return rows;
}

static gboolean
prepare (PxTmdb *db, const PxTmdbStatement *st, GError **error)
{
  if (g_hash_table_contains (db->prepared, st->name))
    return TRUE;
  g_autoptr(PGresult) p = PQprepare (db->conn, st->name, st->sql, 0, NULL);
  if (PQresultStatus (p) != PGRES_COMMAND_OK)
    {
      g_autofree char *what = g_strdup_printf ("cannot prepare statement '%s'", st->name);
      set_pg_error (error, db->conn, p, what);
      return FALSE;
    }
  g_hash_table_add (db->prepared, (gpointer) st->name);
  return TRUE;
}

void
px_tmdb_set_unnamed (PxTmdb *db, gboolean unnamed)
{
  db->unnamed = unnamed;
}

static PxRows *
execute (PxTmdb *db, const PxTmdbStatement *st, int n, const char *const *params, GError **error)
{
  PGresult *res;
  if (db->unnamed)
    /* Parse, bind and execute in one round trip: a transaction-mode pooler
     * (PgBouncer 1.18) may give the next statement another server, where a
     * named statement would not exist.  Always planned with its values. */
    res = PQexecParams (db->conn, st->sql, n, NULL, params, NULL, NULL, 0);
  else if (!prepare (db, st, error))
    return NULL;
  else
    res = PQexecPrepared (db->conn, st->name, n, params, NULL, NULL, 0);
  ExecStatusType s = PQresultStatus (res);
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
    {
      g_autofree char *what = g_strdup_printf ("statement '%s' failed", st->name);
      set_pg_error (error, db->conn, res, what);
      PQclear (res);
      return NULL;
    }
  return wrap (res, st);
}

/* The column names of RES against ST's declaration: "got (a, b), expected
 * (a, c)", the way pg_basebackup checks IDENTIFY_SYSTEM's result. */
static gboolean
check_shape (const PxTmdbStatement *st, const PGresult *res, GError **error)
{
  g_autoptr(GString) got = g_string_new (NULL);
  for (int i = 0; i < PQnfields (res); i++)
    g_string_append_printf (got, i ? ",%s" : "%s", PQfname (res, i));
  if (strcmp (got->str, st->columns) == 0)
    return TRUE;
  g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_SCHEMA,
               "statement '%s' returned columns (%s), expected (%s): the database schema does not match this "
               "program (run 'phedex db upgrade', or use the phedex that matches the database)",
               st->name, got->str, st->columns);
  return FALSE;
}

PxRows *
px_tmdb_query_params (PxTmdb *db, const PxTmdbStatement *st, guint n, const PxTmdbParam *params, GError **error)
{
  g_autofree const char **values = g_new0 (const char *, MAX (n, 1));
  g_autofree char *numbers = g_malloc0 (MAX (n, 1) * G_ASCII_DTOSTR_BUF_SIZE);
  for (guint i = 0; i < n; i++)
    {
      char *buf = numbers + i * G_ASCII_DTOSTR_BUF_SIZE;
      switch (params[i].type)
        {
        case PX_TMDB_PARAM_NULL:
          values[i] = NULL;
          break;
        case PX_TMDB_PARAM_INT:
          g_snprintf (buf, G_ASCII_DTOSTR_BUF_SIZE, "%" G_GINT64_FORMAT, params[i].i);
          values[i] = buf;
          break;
        case PX_TMDB_PARAM_DOUBLE:
          values[i] = g_ascii_dtostr (buf, G_ASCII_DTOSTR_BUF_SIZE, params[i].d);
          break;
        case PX_TMDB_PARAM_TEXT:
          values[i] = params[i].s;
          break;
        case PX_TMDB_PARAM_BOOL:
          values[i] = params[i].i ? "t" : "f";
          break;
        case PX_TMDB_PARAM_ARRAY:
          {
            GString *t = params[i].a->text;
            /* Close the literal for this use; reopen after (it may grow). */
            g_string_append_c (t, '}');
            values[i] = g_strdup (t->str);
            g_string_truncate (t, t->len - 1);
            break;
          }
        }
    }
  PxRows *rows = execute (db, st, (int) n, values, error);
  for (guint i = 0; i < n; i++)
    if (params[i].type == PX_TMDB_PARAM_ARRAY)
      g_free ((char *) values[i]);
  if (rows && !g_hash_table_contains (db->checked, st))
    {
      if (!check_shape (st, rows->res, error))
        {
          px_rows_free (rows);
          return NULL;
        }
      g_hash_table_add (db->checked, (gpointer) st);
    }
  return rows;
}

gboolean
px_tmdb_describe (PxTmdb *db, const PxTmdbStatement *st, GError **error)
{
  if (!prepare (db, st, error))
    return FALSE;
  g_autoptr(PGresult) res = PQdescribePrepared (db->conn, st->name);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      g_autofree char *what = g_strdup_printf ("cannot describe statement '%s'", st->name);
      set_pg_error (error, db->conn, res, what);
      return FALSE;
    }
  return check_shape (st, res, error);
}

PxTmdbArray *
px_tmdb_array_new (void)
{
  PxTmdbArray *a = g_new0 (PxTmdbArray, 1);
  a->text = g_string_new ("{");
  return a;
}

void
px_tmdb_array_free (PxTmdbArray *a)
{
  if (!a)
    return;
  g_string_free (a->text, TRUE);
  g_free (a);
}

guint
px_tmdb_array_len (const PxTmdbArray *a)
{
  return a->len;
}

void
px_tmdb_array_text (PxTmdbArray *a, const char *value)
{
  if (a->len++)
    g_string_append_c (a->text, ',');
  if (!value)
    {
      g_string_append (a->text, "NULL");
      return;
    }
  g_string_append_c (a->text, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (a->text, '\\');
      g_string_append_c (a->text, *p);
    }
  g_string_append_c (a->text, '"');
}

void
px_tmdb_array_int (PxTmdbArray *a, gint64 value)
{
  if (a->len++)
    g_string_append_c (a->text, ',');
  g_string_append_printf (a->text, "%" G_GINT64_FORMAT, value);
}

void
px_tmdb_array_double (PxTmdbArray *a, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (a->len++)
    g_string_append_c (a->text, ',');
  g_string_append (a->text, g_ascii_dtostr (buf, sizeof buf, value));
}

void
px_tmdb_array_bool (PxTmdbArray *a, gboolean value)
{
  if (a->len++)
    g_string_append_c (a->text, ',');
  g_string_append_c (a->text, value ? 't' : 'f');
}

gboolean
px_tmdb_exec_sql (PxTmdb *db, const char *sql, GError **error)
{
  g_autoptr(PGresult) res = PQexec (db->conn, sql);
  ExecStatusType s = PQresultStatus (res);
  if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
    {
      g_autofree char *head = g_strndup (sql, 60);
      g_autofree char *what = g_strdup_printf ("'%s%s' failed", g_strdelimit (head, "\n", ' '),
                                               strlen (sql) > 60 ? "..." : "");
      set_pg_error (error, db->conn, res, what);
      return FALSE;
    }
  return TRUE;
}

gboolean
px_tmdb_begin (PxTmdb *db, GError **error)
{
  return px_tmdb_exec_sql (db, "BEGIN", error);
}

gboolean
px_tmdb_commit (PxTmdb *db, GError **error)
{
  return px_tmdb_exec_sql (db, "COMMIT", error);
}

gboolean
px_tmdb_in_transaction (PxTmdb *db)
{
  return PQtransactionStatus (db->conn) != PQTRANS_IDLE;
}

void
px_tmdb_rollback (PxTmdb *db)
{
  if (PQtransactionStatus (db->conn) != PQTRANS_IDLE)
    {
      g_autoptr(PGresult) r = PQexec (db->conn, "ROLLBACK");
    }
}

void
px_tmdb_copy_field (GString *out, const char *value)
{
  if (!value)
    {
      g_string_append (out, "\\N");
      return;
    }
  for (const char *p = value; *p; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case '\t': g_string_append (out, "\\t"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      default: g_string_append_c (out, *p);
      }
}

gboolean
px_tmdb_copy_in (PxTmdb *db, const char *sql, const GString *data, GError **error)
{
  g_autoptr(PGresult) res = PQexec (db->conn, sql);
  if (PQresultStatus (res) != PGRES_COPY_IN)
    {
      set_pg_error (error, db->conn, res, "cannot start COPY");
      return FALSE;
    }
  if ((data && data->len && PQputCopyData (db->conn, data->str, (int) data->len) != 1)
      || PQputCopyEnd (db->conn, NULL) != 1)
    {
      set_pg_error (error, db->conn, NULL, "COPY failed");
      return FALSE;
    }
  gboolean ok = TRUE;
  PGresult *r;
  while ((r = PQgetResult (db->conn)))
    {
      if (ok && PQresultStatus (r) != PGRES_COMMAND_OK)
        {
          set_pg_error (error, db->conn, r, "COPY failed");
          ok = FALSE;
        }
      PQclear (r);
    }
  return ok;
}

guint
px_rows_count (const PxRows *rows)
{
  return (guint) PQntuples (rows->res);
}

guint
px_rows_affected (const PxRows *rows)
{
  const char *n = PQcmdTuples (rows->res);
  return n && *n ? (guint) atoi (n) : 0;
}

void
px_rows_free (PxRows *rows)
{
  if (!rows)
    return;
  PQclear (rows->res);
  g_free (rows->seen);
  g_free (rows);
}

/* The index of COLUMN: a pointer seen before for this result, else by name. */
static int
column (const PxRows *rows, const char *name)
{
  /* A name seen before at this address is checked once more (an address may
   * be reused by another string), which costs one short comparison. */
  for (int i = 0; i < rows->ncols; i++)
    if (rows->seen[i] == name && strcmp (PQfname (rows->res, i), name) == 0)
      return i;
  for (int i = 0; i < rows->ncols; i++)
    if (strcmp (PQfname (rows->res, i), name) == 0)
      {
        rows->seen[i] = name;
        return i;
      }
  g_critical ("statement '%s' has no result column '%s' (it returns %s)", rows->st ? rows->st->name : "?", name,
              rows->st ? rows->st->columns : "?");
  return -1;
}

const char *
px_rows_text (const PxRows *rows, guint row, const char *name)
{
  int c = column (rows, name);
  if (c < 0 || PQgetisnull (rows->res, (int) row, c))
    return NULL;
  return PQgetvalue (rows->res, (int) row, c);
}

gint64
px_rows_int (const PxRows *rows, guint row, const char *name)
{
  const char *v = px_rows_text (rows, row, name);
  return v ? g_ascii_strtoll (v, NULL, 10) : 0;
}

double
px_rows_double (const PxRows *rows, guint row, const char *name)
{
  const char *v = px_rows_text (rows, row, name);
  return v ? g_ascii_strtod (v, NULL) : 0;
}

gboolean
px_rows_bool (const PxRows *rows, guint row, const char *name)
{
  const char *v = px_rows_text (rows, row, name);
  return v && v[0] == 't';
}

gboolean
px_rows_has (const PxRows *rows, const char *name)
{
  return PQfnumber (rows->res, name) >= 0 || (rows->ncols > 0 && strcmp (name, PQfname (rows->res, 0)) == 0);
}

gboolean
px_rows_is_null (const PxRows *rows, guint row, const char *name)
{
  return px_rows_text (rows, row, name) == NULL;
}

/* The connection a signal handler may cancel, as libpq's PGcancel (safe to
 * use from a handler).  Swapped with the signals blocked. */
static PGcancel *volatile signal_cancel;

void
px_tmdb_set_signal_cancel (PxTmdb *db)
{
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  PGcancel *prev = signal_cancel;
  signal_cancel = db ? PQgetCancel (db->conn) : NULL;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (prev)
    PQfreeCancel (prev);
}

void
px_tmdb_cancel_from_signal (void)
{
  char errbuf[256];
  PGcancel *c = signal_cancel;
  if (c)
    (void) PQcancel (c, errbuf, sizeof errbuf);
}

gboolean
px_tmdb_listen (PxTmdb *db, const char *channel, GError **error)
{
  char *quoted = PQescapeIdentifier (db->conn, channel, strlen (channel));
  g_autofree char *sql = g_strdup_printf ("LISTEN %s", quoted);
  PQfreemem (quoted);
  return px_tmdb_exec_sql (db, sql, error);
}

int
px_tmdb_socket (PxTmdb *db)
{
  return PQsocket (db->conn);
}

int
px_tmdb_drain_notifies_except (PxTmdb *db, const char *const *ignore, const char *slow_channel, int *slow)
{
  if (!PQconsumeInput (db->conn))
    return -1;
  int n = 0;
  PGnotify *note;
  while ((note = PQnotifies (db->conn)))
    {
      gboolean counts = TRUE;
      for (const char *const *i = ignore; i && *i && counts; i++)
        counts = strcmp (*i, note->extra) != 0;
      n += counts;
      if (counts && slow && slow_channel && strcmp (note->relname, slow_channel) == 0)
        (*slow)++;
      PQfreemem (note);
    }
  return n;
}

int
px_tmdb_drain_notifies (PxTmdb *db)
{
  return px_tmdb_drain_notifies_except (db, NULL, NULL, NULL);
}

int
px_tmdb_schema_latest (void)
{
  return px_tmdb_n_migrations;
}

gboolean
px_tmdb_schema_version (PxTmdb *db, int *version, GError **error)
{
  g_autoptr(PGresult) res = PQexec (db->conn, "SELECT to_regclass('px_schema_version') IS NOT NULL");
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (error, db->conn, res, "cannot read the schema version");
      return FALSE;
    }
  if (PQgetvalue (res, 0, 0)[0] != 't')
    {
      *version = 0;
      return TRUE;
    }
  g_autoptr(PGresult) v = PQexec (db->conn, "SELECT coalesce(max(version), 0) FROM px_schema_version");
  if (PQresultStatus (v) != PGRES_TUPLES_OK)
    {
      set_pg_error (error, db->conn, v, "cannot read the schema version");
      return FALSE;
    }
  *version = atoi (PQgetvalue (v, 0, 0));
  return TRUE;
}

gboolean
px_tmdb_migrate (PxTmdb *db, gboolean allow_existing, int *from, int *to, GError **error)
{
  int version = 0;
  if (!px_tmdb_schema_version (db, &version, error))
    return FALSE;
  if (from)
    *from = version;
  if (to)
    *to = version;
  if (version > 0 && !allow_existing)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_SCHEMA,
                   "the database already has a phedex schema (version %d); use 'phedex db upgrade'", version);
      return FALSE;
    }
  if (version > px_tmdb_n_migrations)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_SCHEMA,
                   "the database schema (version %d) is newer than this phedex (%d); upgrade phedex", version,
                   px_tmdb_n_migrations);
      return FALSE;
    }
  for (int v = version + 1; v <= px_tmdb_n_migrations; v++)
    {
      if (!px_tmdb_begin (db, error))
        return FALSE;
      g_autofree char *record = g_strdup_printf (
          "CREATE TABLE IF NOT EXISTS px_schema_version (version int PRIMARY KEY, applied timestamptz NOT NULL "
          "DEFAULT now()); INSERT INTO px_schema_version (version) VALUES (%d)", v);
      if (!px_tmdb_exec_sql (db, px_tmdb_migrations[v - 1], error) || !px_tmdb_exec_sql (db, record, error)
          || !px_tmdb_commit (db, error))
        {
          px_tmdb_rollback (db);
          g_prefix_error (error, "migration %03d: ", v);
          return FALSE;
        }
      if (to)
        *to = v;
    }
  return TRUE;
}

gboolean
px_tmdb_check_schema (PxTmdb *db, GError **error)
{
  int v = 0;
  if (!px_tmdb_schema_version (db, &v, error))
    return FALSE;
  if (v == 0)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_SCHEMA,
                   "the database has no phedex schema; run 'phedex db init'");
      return FALSE;
    }
  if (v != px_tmdb_n_migrations)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_SCHEMA,
                   "the database schema is version %d, this phedex needs %d; run 'phedex db upgrade'", v,
                   px_tmdb_n_migrations);
      return FALSE;
    }
  return TRUE;
}
