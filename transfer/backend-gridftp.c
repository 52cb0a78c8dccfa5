/* backend-gridftp.c — GridFTP (gsiftp://, ftp://) with globus-ftp-client.
 *
 * How it works
 * - Globus is activated once per process (GOnce) in its pthread thread
 *   model, so its callbacks run on Globus's own threads.  Any entry point
 *   here may run in several threads at once (the download agent copies in
 *   parallel): each call makes its own Session (FTP handle with its cached
 *   connections, attributes, buffers, event queue); nothing else is shared.
 * - Every Globus operation is asynchronous.  The calling thread starts one
 *   and waits on the session's queue for its completion callback, waking
 *   every 100 ms to report progress and to poll req->cancelled() and the
 *   deadline; to stop, it calls globus_ftp_client_abort and still waits for
 *   the completion before anything is freed.
 * - Bytes that pass through us move in our own 1 MiB buffers, and the data
 *   callbacks (on Globus's threads) do the work, so the data channel never
 *   waits for the calling thread:
 *     put  reads the local file in order, checksums it (adler32 and cksum)
 *          and registers each block with its offset, under the session lock
 *          so blocks go out in file order;
 *     get  receives blocks in any order when there are parallel streams
 *          (MODE E).  Each block is pwrite()n at its offset and its adler32
 *          computed there (in parallel across streams); under the lock it
 *          joins the run of contiguous bytes it extends, runs that meet being
 *          folded with zlib's adler32_combine (px_adler32_combine).  The
 *          streamed checksum of a get is therefore adler32 only, and the
 *          file is never read again.
 * - A third-party copy (both ends gridftp) is ftp-client's
 *   third_party_transfer on the same handle: the servers move the bytes
 *   between themselves, a performance-marker plugin gives progress, and the
 *   destination's CKSM ADLER32 is the checksum.  (globus-gass-copy's
 *   url_to_url wraps the same call, but with a performance callback it
 *   forces MODE E on stream-mode copies and leaks the attributes it copies
 *   for that, and it logs in again for every copy.)
 * - Failures are classified from Globus's error chain: the FTP reply code,
 *   the errno the server reports ("GridFTP-Errno: 2") or words in its text,
 *   or the errno of our own connection.  The full Globus text goes into the
 *   message.  A failed copy removes what it wrote (local unlink or remote
 *   DELE, best effort); a local copy is fdatasync'ed before it counts.
 * - Local PFNs given to stat, rm, rename or checksum go to the file backend.
 */
#include "config.h"
#include "transfer-private.h"
#include <globus_ftp_client.h>
#include <globus_ftp_client_perf_plugin.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1u << 20)            /* bytes per data buffer */
#define POLL_USEC (100 * 1000)      /* how often a wait looks at cancellation and the clock */
#define IDLE_TIMEOUT_S 300          /* stat, rm, rename, checksum: a server silent this long is down */
#define CLEANUP_TIMEOUT_S 30        /* removing the remains of a failed copy */
#define ABORT_GRACE_S 30            /* an aborted operation must complete within this */
#define CKSM_MAX 256                /* room for a CKSM answer (hex digits) */
#define MAX_STRIPES 16              /* performance markers counted per stripe */

/* ---- activation ---- */

static gint activated; /* the modules were activated (set once, by activate) */

static gpointer
activate (gpointer unused)
{
  /* Must come before the first activation of any Globus module. */
  globus_thread_set_model (GLOBUS_THREAD_MODEL_PTHREADS);
  if (globus_module_activate (GLOBUS_FTP_CLIENT_MODULE) != GLOBUS_SUCCESS
      || globus_module_activate (GLOBUS_FTP_CLIENT_PERF_PLUGIN_MODULE) != GLOBUS_SUCCESS)
    return "cannot activate the Globus FTP client libraries";
  g_atomic_int_set (&activated, 1);
  return NULL;
}

static GOnce once = G_ONCE_INIT;
static gint wedged_sessions; /* sessions leaked because Globus never finished with them */

/* Before a short-lived process exits: deactivate the Globus modules, which
 * waits for the connections a finished copy left closing in Globus's own
 * threads.  Without it exit()'s OpenSSL clean-up can free what such a
 * thread is still tearing down (the GSI context of a gsiftp:// session: a
 * crash inside ASN1_OBJECT_free that AddressSanitizer shows).  Not when a
 * session is wedged: deactivation would wait for it for ever. */
void
px_transfer_gridftp_shutdown (void)
{
  if (!g_atomic_int_get (&activated) || g_atomic_int_get (&wedged_sessions) > 0)
    return;
  globus_module_deactivate (GLOBUS_FTP_CLIENT_PERF_PLUGIN_MODULE);
  globus_module_deactivate (GLOBUS_FTP_CLIENT_MODULE);
}

static gboolean
globus_ready (GError **error)
{
  const char *why = g_once (&once, activate, NULL);
  if (why)
    g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "gridftp: %s", why);
  return why == NULL;
}

/* ---- URLs ---- */

static gboolean
is_gridftp (const char *pfn)
{
  const char *scheme = g_uri_peek_scheme (pfn);
  return g_strcmp0 (scheme, "gsiftp") == 0 || g_strcmp0 (scheme, "ftp") == 0;
}

/* "ftp://host:port" of URL (GUri). */
static char *
url_server (const char *url)
{
  g_autoptr(GUri) u = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (!u)
    return g_strdup (url);
  return g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (u), g_uri_get_userinfo (u), g_uri_get_host (u),
                     g_uri_get_port (u), "", NULL, NULL);
}

/* The URL of the directory holding URL, or NULL at the root (GUri). */
static char *
url_parent (const char *url)
{
  g_autoptr(GUri) u = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (!u)
    return NULL;
  g_autofree char *path = g_strdup (g_uri_get_path (u));
  gsize len = strlen (path);
  while (len > 1 && path[len - 1] == '/') /* trailing slashes */
    path[--len] = '\0';
  char *slash = strrchr (path, '/');
  if (!slash || slash == path)
    return NULL;
  *slash = '\0';
  return g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (u), g_uri_get_userinfo (u), g_uri_get_host (u),
                     g_uri_get_port (u), path, NULL, NULL);
}

/* Operations reach this backend only for gsiftp:// and ftp:// PFNs (see
 * px_transfer_backend_for); anything else is a caller's mistake. */
static gboolean
not_ours (const char *pfn, GError **error)
{
  g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "gridftp: '%s' is not a gsiftp:// or ftp:// URL",
               pfn);
  return FALSE;
}

/* ---- failures ---- */

typedef struct
{
  PxTransferError code;
  int reply;            /* FTP reply code; 0: none */
  int err;              /* errno, the server's or our connection's; 0: unknown */
  gboolean unreachable; /* we could not connect to the server at all */
  gboolean ours;        /* message is complete (cancelled, timed out, local I/O) */
  char *message;        /* Globus's text on one line, or our own message */
} Failure;

static void
failure_free (Failure *f)
{
  if (f)
    g_free (f->message);
  g_free (f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Failure, failure_free)

static Failure *failure_ours (PxTransferError code, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static Failure *
failure_ours (PxTransferError code, const char *fmt, ...)
{
  Failure *f = g_new0 (Failure, 1);
  va_list ap;
  va_start (ap, fmt);
  f->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  f->code = code;
  f->ours = TRUE;
  return f;
}

static Failure *
failure_local (int err, const char *what, const char *path)
{
  Failure *f = failure_ours (px_transfer_errno_code (err), "gridftp: %s '%s': %s", what, path, g_strerror (err));
  f->err = err;
  return f;
}

/* Globus's multi-line text as one line: "a; b; c". */
static char *
one_line (const char *text)
{
  g_auto (GStrv) lines = g_strsplit_set (text ? text : "", "\r\n", -1);
  GString *s = g_string_new (NULL);
  for (char **l = lines; *l; l++)
    {
      g_strstrip (*l);
      if (**l)
        g_string_append_printf (s, "%s%s", s->len ? "; " : "", *l);
    }
  return g_string_free (s, FALSE);
}

/* The errno behind a server's reply.  A GridFTP server says it
 * ("GridFTP-Errno: 2"); other servers only word it. */
static int
server_errno (int reply, const char *text)
{
  static const struct
  {
    const char *words;
    int err;
  } worded[] = {
    { "no such file", ENOENT },        { "not found", ENOENT },
    { "does not exist", ENOENT },      { "permission denied", EACCES },
    { "not permitted", EPERM },        { "no space left", ENOSPC },
    { "quota exceeded", EDQUOT },      { "not a directory", ENOTDIR },
    { "is a directory", EISDIR },      { "read-only file system", EROFS },
    { "exists", EEXIST },
  };
  const char *p = strstr (text, "GridFTP-Errno:");
  if (p)
    return atoi (p + strlen ("GridFTP-Errno:"));
  if (reply == 421 || reply == 530) /* about the session: "file does not exist" is a credential's */
    return 0;
  g_autofree char *lower = g_ascii_strdown (text, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (worded); i++)
    if (strstr (lower, worded[i].words))
      return worded[i].err;
  return 0;
}

static PxTransferError
classify (int reply, int err)
{
  if (reply >= 400 && reply < 500) /* 421, 425, 426, 450, 451, 452 (no space): try again */
    return PX_TRANSFER_ERROR_TRANSIENT;
  if (reply == 530) /* login refused: an expired proxy or a server-side mapping, fixed by people */
    return PX_TRANSFER_ERROR_TRANSIENT;
  if (err) /* ENOENT, EACCES: permanent; ENOSPC, ECONNREFUSED, ECONNRESET: transient */
    return px_transfer_errno_code (err);
  if (reply == 552) /* storage allocation exceeded */
    return PX_TRANSFER_ERROR_TRANSIENT;
  if (reply >= 500) /* 550 no such file or permission, 553 name not allowed, 530 login */
    return PX_TRANSFER_ERROR_PERMANENT;
  return PX_TRANSFER_ERROR_TRANSIENT; /* the connection broke: no reply at all */
}

/* Read ERR (owned by Globus) into a Failure.  Safe on Globus's threads. */
static Failure *
failure_from_globus (globus_object_t *err)
{
  Failure *f = g_new0 (Failure, 1);
  char *text = globus_error_print_friendly (err);
  f->message = one_line (text);
  free (text);
  for (globus_object_t *e = err; e && !f->reply; e = globus_error_get_cause (e))
    if (globus_object_type_match (globus_object_get_type (e), GLOBUS_ERROR_TYPE_FTP))
      f->reply = globus_error_ftp_error_get_code (e);
  f->err = f->reply ? server_errno (f->reply, f->message) : globus_error_errno_search (err);
  f->unreachable = !f->reply && (f->err == ECONNREFUSED || f->err == EHOSTUNREACH || f->err == ENETUNREACH
                                 || strstr (f->message, "Unable to connect") != NULL);
  f->code = classify (f->reply, f->err);
  return f;
}

static Failure *
failure_from_result (globus_result_t r)
{
  globus_object_t *err = globus_error_get (r);
  Failure *f = failure_from_globus (err);
  globus_object_free (err);
  return f;
}

/* What a reply without an errno means, for the message. */
static const char *
reply_meaning (int reply)
{
  switch (reply)
    {
    case 421: return "service not available";
    case 425: return "cannot open the data connection";
    case 426: return "the data connection broke";
    case 452: case 552: return "storage full";
    case 530: return "login refused (for gsiftp://, is there an X.509 proxy the server accepts?)";
    case 553: return "file name not allowed";
    default: return "the server refused";
    }
}

static gboolean
is_missing (const Failure *f)
{
  return f->err == ENOENT && !f->unreachable;
}

/* Set ERROR from F, saying what we were doing ("cannot read 'URL'",
 * "cannot copy 'URL' to 'URL2'"). */
static gboolean
fail_with (const Failure *f, const char *what, const char *url, const char *url2, GError **error)
{
  if (f->ours)
    {
      g_set_error_literal (error, PX_TRANSFER_ERROR, f->code, f->message);
      return FALSE;
    }
  if (f->unreachable)
    {
      /* Which end?  Globus names it: "Unable to connect to 127.0.0.1:2811". */
      const char *which = url;
      g_autofree char *server2 = url2 ? url_server (url2) : NULL;
      const char *authority = server2 ? strstr (server2, "://") : NULL;
      if (authority && strstr (f->message, authority + 3))
        which = url2;
      g_autofree char *server = url_server (which);
      g_set_error (error, PX_TRANSFER_ERROR, f->code, "gridftp: cannot connect to %s: %s%s; globus: %s", server,
                   f->err ? g_strerror (f->err) : "no connection",
                   f->err == ECONNREFUSED ? " (is the server running?)" : "", f->message);
      return FALSE;
    }
  g_autofree char *subject = url2 ? g_strdup_printf ("'%s' to '%s'", url, url2) : g_strdup_printf ("'%s'", url);
  g_autofree char *reason = f->err && f->reply ? g_strdup_printf ("%s (reply %d); ", g_strerror (f->err), f->reply)
                            : f->err           ? g_strdup_printf ("%s; ", g_strerror (f->err))
                            : f->reply ? g_strdup_printf ("%s (reply %d); ", reply_meaning (f->reply), f->reply)
                                       : g_strdup ("");
  g_set_error (error, PX_TRANSFER_ERROR, f->code, "gridftp: cannot %s %s: %sglobus: %s", what, subject, reason,
               f->message);
  return FALSE;
}

/* ---- sessions: one per backend call ---- */

typedef enum
{
  EVENT_DONE, /* the operation completed */
  EVENT_WAKE, /* a data callback stopped the transfer: abort it now */
} EventKind;

typedef struct
{
  EventKind kind;
  Failure *failure; /* DONE: NULL on success */
} Event;

/* Contiguous bytes received, with their adler32. */
typedef struct
{
  guint64 offset, length;
  guint32 adler;
} Run;

/* The bytes of one get or put, shared by its data callbacks. */
typedef struct
{
  int fd;           /* get: the local copy, or -1 to checksum only; put: the local file */
  const char *path;
  GArray *runs;     /* get: Run, the contiguous bytes received */
  PxChecksum sum;   /* put: of the bytes read, in order */
  guint64 offset;   /* put: bytes handed to Globus */
  guint64 bytes;    /* bytes moved so far */
  gboolean eof;     /* get: EOF seen; put: EOF handed to Globus */
} Stream;

typedef struct
{
  GAsyncQueue *events; /* Event *, posted by Globus's callbacks */
  globus_ftp_client_handle_t ftp;
  globus_ftp_client_operationattr_t attr; /* data channel: mode, streams, TCP buffer */
  int streams;
  globus_ftp_client_plugin_t perf; /* performance markers of third-party copies */
  globus_byte_t **buffers;
  int n_buffers;
  globus_off_t size;            /* SIZE answer */
  char cksm[CKSM_MAX];          /* CKSM answer */
  const PxTransferRequest *req; /* a copy's cancellation and progress; NULL otherwise */
  gint64 deadline;              /* monotonic µs; 0: none */
  gint64 idle;                  /* > 0: progress moves the deadline this far */
  char *timeout_message;
  GRecMutex lock; /* guards stream, stripes and stop against Globus's callbacks */
  Stream stream;
  gboolean third_party;              /* count performance markers into stream.bytes */
  guint64 stripes[MAX_STRIPES];      /* bytes moved per stripe, from the markers */
  Failure *stop;    /* why the running operation is being aborted */
  gboolean wedged;  /* an aborted operation never completed: leak the session */
} Session;

/* Globus results we cannot act on still hold an error object: free it. */
static void
ignore (globus_result_t r)
{
  if (r != GLOBUS_SUCCESS)
    globus_object_free (globus_error_get (r));
}

static void
post (Session *s, EventKind kind, globus_object_t *err)
{
  Event *ev = g_new0 (Event, 1);
  ev->kind = kind;
  ev->failure = err ? failure_from_globus (err) : NULL;
  g_async_queue_push (s->events, ev);
}

static void
on_done (void *arg, globus_ftp_client_handle_t *handle, globus_object_t *err)
{
  post (arg, EVENT_DONE, err);
}

/* A performance marker: NBYTES moved so far by one stripe of the server. */
static void
on_marker (void *arg, globus_ftp_client_handle_t *handle, long when, char when_tenth, int stripe, int n_stripes,
           globus_off_t nbytes)
{
  Session *s = arg;
  g_rec_mutex_lock (&s->lock);
  if (s->third_party && stripe >= 0 && stripe < MAX_STRIPES)
    {
      s->stripes[stripe] = (guint64) MAX (nbytes, 0);
      s->stream.bytes = 0;
      for (int i = 0; i < MAX_STRIPES; i++)
        s->stream.bytes += s->stripes[i];
    }
  g_rec_mutex_unlock (&s->lock);
}

/* Stop the running operation because of F (the first reason wins); the
 * waiting thread aborts it.  Called with s->lock held. */
static void
stop_locked (Session *s, Failure *f)
{
  if (s->stop)
    {
      failure_free (f);
      return;
    }
  s->stop = f;
  post (s, EVENT_WAKE, NULL);
}

static void
session_set_timeout (Session *s, double seconds, gboolean idle, char *message)
{
  gint64 usec = (gint64) (seconds * G_USEC_PER_SEC);
  s->deadline = seconds > 0 ? g_get_monotonic_time () + usec : 0;
  s->idle = idle ? usec : 0;
  g_free (s->timeout_message);
  s->timeout_message = message;
}

/* A session with the configured data-channel settings.  REQ (a copy) gives
 * cancellation, progress and the timeout; without it the session gives up
 * on a server silent for IDLE_TIMEOUT_S. */
static Session *
session_new (const PxTransferRequest *req, const char *subject, GError **error)
{
  if (!globus_ready (error))
    return NULL;
  const PxTransferConfig *cfg = px_transfer_config ();
  Session *s = g_new0 (Session, 1);
  s->events = g_async_queue_new ();
  g_rec_mutex_init (&s->lock);
  s->stream.runs = g_array_new (FALSE, FALSE, sizeof (Run));
  s->req = req;
  s->streams = MAX (cfg->gridftp_streams, 1);
  globus_ftp_client_perf_plugin_init (&s->perf, NULL, on_marker, NULL, s);
  globus_ftp_client_handleattr_t hattr;
  globus_ftp_client_handleattr_init (&hattr);
  globus_ftp_client_handleattr_set_cache_all (&hattr, GLOBUS_TRUE); /* one connection for mkdir, put, delete */
  globus_ftp_client_handleattr_add_plugin (&hattr, &s->perf);
  globus_ftp_client_handle_init (&s->ftp, &hattr);
  globus_ftp_client_handleattr_destroy (&hattr);
  globus_ftp_client_operationattr_init (&s->attr);
  if (s->streams > 1)
    {
      globus_ftp_control_parallelism_t par = { .fixed = { GLOBUS_FTP_CONTROL_PARALLELISM_FIXED, s->streams } };
      globus_ftp_client_operationattr_set_mode (&s->attr, GLOBUS_FTP_CONTROL_MODE_EXTENDED_BLOCK);
      globus_ftp_client_operationattr_set_parallelism (&s->attr, &par);
    }
  if (cfg->gridftp_tcp_buffer > 0)
    {
      globus_ftp_control_tcpbuffer_t tcp = {
        .fixed = { GLOBUS_FTP_CONTROL_TCPBUFFER_FIXED, (int) MIN (cfg->gridftp_tcp_buffer, (guint64) INT_MAX) }
      };
      globus_ftp_client_operationattr_set_tcp_buffer (&s->attr, &tcp);
    }
  if (req && req->timeout > 0)
    session_set_timeout (s, req->timeout, FALSE,
                         g_strdup_printf ("gridftp: %s stopped by its %g s timeout", subject, req->timeout));
  else if (!req)
    session_set_timeout (s, IDLE_TIMEOUT_S, TRUE,
                         g_strdup_printf ("gridftp: %s: no answer from the server in %d s", subject, IDLE_TIMEOUT_S));
  return s;
}

static void
session_free (Session *s)
{
  if (!s || s->wedged) /* Globus may still call into it: leak it rather than crash */
    return;
  globus_ftp_client_operationattr_destroy (&s->attr);
  globus_ftp_client_handle_destroy (&s->ftp);
  globus_ftp_client_perf_plugin_destroy (&s->perf);
  for (int i = 0; i < s->n_buffers; i++)
    g_free (s->buffers[i]);
  g_free (s->buffers);
  g_free (s->timeout_message);
  g_array_unref (s->stream.runs);
  failure_free (s->stop);
  g_rec_mutex_clear (&s->lock);
  g_async_queue_unref (s->events);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

static void
session_alloc_buffers (Session *s)
{
  if (s->buffers)
    return;
  s->n_buffers = MAX (4, 2 * s->streams);
  s->buffers = g_new (globus_byte_t *, s->n_buffers);
  for (int i = 0; i < s->n_buffers; i++)
    s->buffers[i] = g_malloc (BLOCK);
}

static void
stream_start (Session *s, int fd, const char *path)
{
  Stream *st = &s->stream;
  st->fd = fd;
  st->path = path;
  g_array_set_size (st->runs, 0);
  px_transfer_checksum_init (&st->sum);
  st->offset = st->bytes = 0;
  st->eof = FALSE;
}

/* Close the stream's file, unless Globus may still write to it (then the
 * descriptor is leaked with the wedged session, never reused under it). */
static int
stream_close (Session *s)
{
  int fd = s->stream.fd;
  s->stream.fd = -1;
  return s->wedged || fd < 0 ? 0 : close (fd);
}

/* Why the waiting thread should stop the running operation, if it should. */
static Failure *
should_stop (Session *s, gint64 now)
{
  if (s->req && s->req->cancelled && s->req->cancelled ())
    return failure_ours (PX_TRANSFER_ERROR_CANCELLED, "gridftp: transfer cancelled");
  if (s->deadline && now >= s->deadline)
    return failure_ours (PX_TRANSFER_ERROR_TRANSIENT, "%s", s->timeout_message);
  return NULL;
}

/* The outcome of the operation that posted DONE: our own reason to stop it
 * (cancelled, timed out, local I/O) comes before what Globus says. */
static Failure *
session_done (Session *s, Event *done)
{
  Failure *f = done->failure;
  g_free (done);
  g_rec_mutex_lock (&s->lock);
  Failure *stop = g_steal_pointer (&s->stop);
  g_rec_mutex_unlock (&s->lock);
  if (stop && (stop->ours || !f))
    {
      failure_free (f);
      return stop;
    }
  failure_free (stop);
  return f;
}

/* Wait for the operation just started on S to complete.  Every POLL_USEC
 * (or sooner, woken by a data callback that stopped the transfer): report
 * progress, and abort the operation when the request is cancelled, the
 * deadline passes or a callback stopped it; then still wait for Globus to
 * complete it.  NULL on success, else why it failed.  (A WAKE left over from
 * an operation that completed meanwhile only wakes the next wait.) */
static Failure *
session_wait (Session *s)
{
  gint64 aborted_at = 0;
  guint64 reported = 0;
  for (;;)
    {
      Event *ev = g_async_queue_timeout_pop (s->events, POLL_USEC);
      if (ev && ev->kind == EVENT_DONE)
        return session_done (s, ev);
      g_free (ev);
      gint64 now = g_get_monotonic_time ();
      Failure *why = aborted_at ? NULL : should_stop (s, now);
      g_rec_mutex_lock (&s->lock);
      if (why)
        stop_locked (s, why);
      guint64 bytes = s->stream.bytes;
      gboolean abort_now = s->stop && !aborted_at;
      g_rec_mutex_unlock (&s->lock);
      if (bytes != reported)
        {
          reported = bytes;
          if (s->req && s->req->progress)
            s->req->progress (bytes, s->req->progress_data);
          if (s->idle)
            s->deadline = now + s->idle;
        }
      if (abort_now)
        {
          aborted_at = now;
          ignore (globus_ftp_client_abort (&s->ftp));
        }
      if (aborted_at && now - aborted_at > ABORT_GRACE_S * G_USEC_PER_SEC)
        {
          s->wedged = TRUE;
          g_atomic_int_inc (&wedged_sessions);
          return failure_ours (PX_TRANSFER_ERROR_TRANSIENT, "gridftp: an aborted transfer did not end in %d s",
                               ABORT_GRACE_S);
        }
    }
}

/* Wait for an operation without data whose start returned R. */
static Failure *
session_run (Session *s, globus_result_t r)
{
  return r == GLOBUS_SUCCESS ? session_wait (s) : failure_from_result (r);
}

/* ---- server commands ---- */

static Failure *
ftp_size (Session *s, const char *url, guint64 *bytes)
{
  Failure *f = session_run (s, globus_ftp_client_size (&s->ftp, url, &s->attr, &s->size, on_done, s));
  if (!f)
    *bytes = (guint64) MAX (s->size, 0);
  return f;
}

static Failure *
ftp_cksm (Session *s, const char *url, guint32 *adler)
{
  memset (s->cksm, 0, sizeof s->cksm);
  Failure *f = session_run (
    s, globus_ftp_client_cksm (&s->ftp, url, &s->attr, s->cksm, 0, -1, "ADLER32", on_done, s));
  if (f)
    return f;
  char *end = NULL;
  guint64 v = g_ascii_strtoull (s->cksm, &end, 16);
  if (!s->cksm[0] || *end || v > G_MAXUINT32)
    return failure_ours (PX_TRANSFER_ERROR_TRANSIENT, "gridftp: the server's CKSM ADLER32 of '%s' is not one: '%s'",
                         url, s->cksm);
  *adler = (guint32) v;
  return NULL;
}

static Failure *
ftp_delete (Session *s, const char *url)
{
  return session_run (s, globus_ftp_client_delete (&s->ftp, url, &s->attr, on_done, s));
}

static Failure *
ftp_mkdir (Session *s, const char *url)
{
  return session_run (s, globus_ftp_client_mkdir (&s->ftp, url, &s->attr, on_done, s));
}

/* mkdir -p DIR: try DIR itself (usually it exists, or only it is missing),
 * climb only while the parent is missing, then come back down.  "Exists" is
 * success (another agent may have made it meanwhile). */
static Failure *
make_dirs (Session *s, const char *dir, int depth)
{
  Failure *f = ftp_mkdir (s, dir);
  g_autofree char *parent = NULL;
  if (f && is_missing (f) && depth < 64 && (parent = url_parent (dir)))
    {
      failure_free (f);
      f = make_dirs (s, parent, depth + 1);
      if (!f)
        f = ftp_mkdir (s, dir);
    }
  if (f && f->err == EEXIST)
    g_clear_pointer (&f, failure_free);
  return f;
}

static Failure *
make_parent_dirs (Session *s, const char *url)
{
  g_autofree char *parent = url_parent (url);
  return parent ? make_dirs (s, parent, 0) : NULL;
}

/* Remove what a failed copy may have left at URL, best effort: no
 * cancellation, a short deadline of its own. */
static void
remove_remains (Session *s, const char *url, GString *log)
{
  if (s->wedged)
    return;
  s->req = NULL;
  session_set_timeout (s, CLEANUP_TIMEOUT_S, FALSE,
                       g_strdup_printf ("gridftp: removing '%s' took over %d s", url, CLEANUP_TIMEOUT_S));
  g_autoptr (Failure) f = ftp_delete (s, url);
  if (f && !is_missing (f))
    g_string_append_printf (log, "%scould not remove the partial copy '%s': %s", log->len ? "; " : "", url,
                            f->message);
}

/* ---- get: blocks in any order, adler32 per run of contiguous bytes ---- */

static void
runs_add (GArray *runs, guint64 offset, guint64 length, guint32 adler)
{
  Run *r = NULL;
  for (guint i = 0; i < runs->len && !r; i++)
    if (g_array_index (runs, Run, i).offset + g_array_index (runs, Run, i).length == offset)
      r = &g_array_index (runs, Run, i);
  if (r)
    {
      r->adler = px_adler32_combine (r->adler, adler, length);
      r->length += length;
    }
  else
    {
      Run fresh = { offset, length, adler };
      g_array_append_val (runs, fresh);
      r = &g_array_index (runs, Run, runs->len - 1);
    }
  /* The run that starts where this one now ends joins it. */
  for (guint j = 0; j < runs->len; j++)
    {
      Run *next = &g_array_index (runs, Run, j);
      if (next != r && next->offset == r->offset + r->length)
        {
          r->adler = px_adler32_combine (r->adler, next->adler, next->length);
          r->length += next->length;
          g_array_remove_index_fast (runs, j);
          break;
        }
    }
}

/* The adler32 of everything received: one run from offset 0, or nothing. */
static gboolean
runs_total (GArray *runs, guint32 *adler, guint64 *bytes)
{
  if (runs->len == 0)
    {
      *adler = px_adler32 (1, NULL, 0);
      *bytes = 0;
      return TRUE;
    }
  Run *r = &g_array_index (runs, Run, 0);
  *adler = r->adler;
  *bytes = r->length;
  return runs->len == 1 && r->offset == 0;
}

static gboolean
pwrite_all (int fd, const guint8 *p, gsize n, guint64 offset)
{
  while (n > 0)
    {
      ssize_t w = pwrite (fd, p, n, (off_t) offset);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return FALSE;
      p += w;
      n -= (gsize) w;
      offset += (guint64) w;
    }
  return TRUE;
}

/* A block arrived: write it where it belongs and checksum it (outside the
 * lock, so parallel streams do this in parallel), then give the buffer back
 * to Globus. */
static void
on_read (void *arg, globus_ftp_client_handle_t *handle, globus_object_t *err, globus_byte_t *buffer,
         globus_size_t length, globus_off_t offset, globus_bool_t eof)
{
  Session *s = arg;
  Stream *st = &s->stream;
  Failure *failed = NULL;
  guint32 adler = 0;
  if (!err && length > 0)
    {
      if (st->fd >= 0 && !pwrite_all (st->fd, buffer, length, (guint64) offset))
        failed = failure_local (errno, "cannot write", st->path);
      adler = px_adler32 (1, buffer, length);
    }
  g_rec_mutex_lock (&s->lock);
  if (failed)
    stop_locked (s, failed);
  else if (!err && length > 0)
    {
      runs_add (st->runs, (guint64) offset, length, adler);
      st->bytes += length;
    }
  st->eof |= eof;
  gboolean more = !err && !st->eof && !s->stop;
  g_rec_mutex_unlock (&s->lock);
  /* Globus refuses a buffer only after EOF or a failure, which end the
   * operation anyway. */
  if (more)
    ignore (globus_ftp_client_register_read (handle, buffer, BLOCK, on_read, s));
}

/* Get URL into the file FD (-1: only checksum the bytes). */
static Failure *
receive (Session *s, const char *url, int fd, const char *path)
{
  session_alloc_buffers (s);
  stream_start (s, fd, path);
  globus_result_t r = globus_ftp_client_get (&s->ftp, url, &s->attr, NULL, on_done, s);
  if (r != GLOBUS_SUCCESS)
    return failure_from_result (r);
  for (int i = 0; i < s->n_buffers; i++)
    ignore (globus_ftp_client_register_read (&s->ftp, s->buffers[i], BLOCK, on_read, s));
  return session_wait (s);
}

/* The adler32 of what receive() got. */
static Failure *
received_sum (Session *s, const char *url, PxChecksum *sum)
{
  guint32 adler;
  guint64 bytes;
  if (!runs_total (s->stream.runs, &adler, &bytes))
    return failure_ours (PX_TRANSFER_ERROR_TRANSIENT, "gridftp: the blocks received from '%s' leave gaps", url);
  px_checksum_set_adler32 (sum, adler, bytes);
  return NULL;
}

static gboolean
copy_get (Session *s, const PxTransferRequest *req, const char *dst, PxTransferResult *res, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (dst);
  g_autoptr (Failure) f = NULL;
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return fail_with ((f = failure_local (errno, "cannot create directory", dir)), NULL, NULL, NULL, error);
  int fd = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail_with ((f = failure_local (errno, "cannot create", dst)), NULL, NULL, NULL, error);
  f = receive (s, req->source, fd, dst);
  if (!f && fdatasync (fd) < 0)
    f = failure_local (errno, "cannot flush", dst);
  if (stream_close (s) < 0 && !f)
    f = failure_local (errno, "cannot close", dst);
  if (!f)
    f = received_sum (s, req->source, &res->checksum);
  if (f)
    {
      unlink (dst);
      return fail_with (f, "read", req->source, NULL, error);
    }
  res->bytes = res->checksum.bytes;
  res->have_checksum = TRUE;
  res->checksum_source = "streamed";
  g_string_append_printf (res->log, "gridftp get of %" G_GUINT64_FORMAT " bytes (%d stream%s)", res->bytes,
                          s->streams, s->streams > 1 ? "s" : "");
  return TRUE;
}

/* ---- put: read in order, checksum, hand blocks to Globus ---- */

static gboolean
read_full (int fd, guint8 *buf, gsize want, gsize *got)
{
  *got = 0;
  while (*got < want)
    {
      ssize_t n = read (fd, buf + *got, want - *got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      *got += (gsize) n;
    }
  return TRUE;
}

static void on_written (void *arg, globus_ftp_client_handle_t *handle, globus_object_t *err,
                        globus_byte_t *buffer, globus_size_t length, globus_off_t offset, globus_bool_t eof);

/* Read the next block of the file into BUFFER, checksum it and hand it to
 * Globus; the short (maybe empty) last block carries EOF.  Called with
 * s->lock held, which keeps blocks in file order (stream mode needs it). */
static void
feed_locked (Session *s, globus_byte_t *buffer)
{
  Stream *st = &s->stream;
  if (st->eof || s->stop)
    return;
  gsize n;
  if (!read_full (st->fd, buffer, BLOCK, &n))
    {
      stop_locked (s, failure_local (errno, "cannot read", st->path));
      return;
    }
  px_checksum_update (&st->sum, buffer, n);
  guint64 offset = st->offset;
  st->offset += n;
  st->eof = n < BLOCK;
  globus_result_t r = globus_ftp_client_register_write (&s->ftp, buffer, n, (globus_off_t) offset, st->eof,
                                                        on_written, s);
  if (r != GLOBUS_SUCCESS) /* a block lost would leave a hole */
    stop_locked (s, failure_from_result (r));
}

static void
on_written (void *arg, globus_ftp_client_handle_t *handle, globus_object_t *err, globus_byte_t *buffer,
            globus_size_t length, globus_off_t offset, globus_bool_t eof)
{
  Session *s = arg;
  g_rec_mutex_lock (&s->lock);
  if (!err)
    {
      s->stream.bytes += length;
      feed_locked (s, buffer);
    }
  g_rec_mutex_unlock (&s->lock);
}

static Failure *
send_file (Session *s, const char *url, int fd, const char *path)
{
  session_alloc_buffers (s);
  stream_start (s, fd, path);
  globus_result_t r = globus_ftp_client_put (&s->ftp, url, &s->attr, NULL, on_done, s);
  if (r != GLOBUS_SUCCESS)
    return failure_from_result (r);
  g_rec_mutex_lock (&s->lock);
  for (int i = 0; i < s->n_buffers; i++)
    feed_locked (s, s->buffers[i]);
  g_rec_mutex_unlock (&s->lock);
  return session_wait (s);
}

static gboolean
copy_put (Session *s, const PxTransferRequest *req, const char *src, PxTransferResult *res, GError **error)
{
  g_autoptr (Failure) f = NULL;
  int fd = open (src, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_with ((f = failure_local (errno, "cannot open source", src)), NULL, NULL, NULL, error);
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  f = make_parent_dirs (s, req->destination);
  if (f)
    {
      close (fd);
      return fail_with (f, "create the directory of", req->destination, NULL, error);
    }
  f = send_file (s, req->destination, fd, src);
  stream_close (s);
  if (f)
    {
      remove_remains (s, req->destination, res->log);
      return fail_with (f, "write", req->destination, NULL, error);
    }
  res->bytes = s->stream.offset;
  res->checksum = s->stream.sum;
  res->have_checksum = TRUE;
  res->checksum_source = "streamed";
  g_string_append_printf (res->log, "gridftp put of %" G_GUINT64_FORMAT " bytes (%d stream%s)", res->bytes,
                          s->streams, s->streams > 1 ? "s" : "");
  return TRUE;
}

/* ---- third party: the servers talk to each other ---- */

static Failure *
third_party (Session *s, const char *from, const char *to)
{
  g_rec_mutex_lock (&s->lock);
  stream_start (s, -1, NULL);
  memset (s->stripes, 0, sizeof s->stripes);
  s->third_party = TRUE;
  g_rec_mutex_unlock (&s->lock);
  Failure *f = session_run (s, globus_ftp_client_third_party_transfer (&s->ftp, from, &s->attr, to, &s->attr, NULL,
                                                                      on_done, s));
  g_rec_mutex_lock (&s->lock);
  s->third_party = FALSE;
  g_rec_mutex_unlock (&s->lock);
  return f;
}

static gboolean
copy_third_party (Session *s, const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  g_autoptr (Failure) f = make_parent_dirs (s, req->destination);
  if (f)
    return fail_with (f, "create the directory of", req->destination, NULL, error);
  f = third_party (s, req->source, req->destination);
  if (!f)
    f = ftp_size (s, req->destination, &res->bytes);
  if (f)
    {
      remove_remains (s, req->destination, res->log);
      return fail_with (f, "copy", req->source, req->destination, error);
    }
  g_string_append_printf (res->log, "gridftp third-party copy of %" G_GUINT64_FORMAT " bytes (%d stream%s)",
                          res->bytes, s->streams, s->streams > 1 ? "s" : "");
  guint32 adler;
  g_autoptr (Failure) no_sum = ftp_cksm (s, req->destination, &adler);
  if (no_sum) /* verify will ask ->checksum */
    g_string_append_printf (res->log, "; no CKSM from the destination: %s", no_sum->message);
  else
    {
      px_checksum_set_adler32 (&res->checksum, adler, res->bytes);
      res->have_checksum = TRUE;
      res->checksum_source = "server";
    }
  return TRUE;
}

/* ---- the backend ---- */

static gboolean
gridftp_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  g_autofree char *src_path = px_transfer_local_path (req->source);
  g_autofree char *dst_path = px_transfer_local_path (req->destination);
  if ((src_path && dst_path) || (!src_path && !is_gridftp (req->source)) || (!dst_path && !is_gridftp (req->destination)))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "gridftp: cannot copy '%s' to '%s': each end must be gsiftp://, ftp:// or a local file",
                   req->source, req->destination);
      return FALSE;
    }
  g_autofree char *subject = g_strdup_printf ("copy of '%s' to '%s'", req->source, req->destination);
  g_autoptr (Session) s = session_new (req, subject, error);
  if (!s)
    return FALSE;
  if (src_path)
    return copy_put (s, req, src_path, res, error);
  if (dst_path)
    return copy_get (s, req, dst_path, res, error);
  return copy_third_party (s, req, res, error);
}

static gboolean
gridftp_stat (const char *pfn, guint64 *bytes, GError **error)
{
  if (!is_gridftp (pfn))
    return not_ours (pfn, error);
  g_autofree char *subject = g_strdup_printf ("stat of '%s'", pfn);
  g_autoptr (Session) s = session_new (NULL, subject, error);
  g_autoptr (Failure) f = s ? ftp_size (s, pfn, bytes) : NULL;
  return s && (!f || fail_with (f, "stat", pfn, NULL, error));
}

static gboolean
gridftp_remove (const char *pfn, GError **error)
{
  if (!is_gridftp (pfn))
    return not_ours (pfn, error);
  g_autofree char *subject = g_strdup_printf ("removal of '%s'", pfn);
  g_autoptr (Session) s = session_new (NULL, subject, error);
  g_autoptr (Failure) f = s ? ftp_delete (s, pfn) : NULL;
  return s && (!f || is_missing (f) || fail_with (f, "remove", pfn, NULL, error));
}

static gboolean
gridftp_rename (const char *from, const char *to, GError **error)
{
  g_autofree char *server_from = url_server (from), *server_to = url_server (to);
  if (!is_gridftp (from) || !is_gridftp (to) || g_ascii_strcasecmp (server_from, server_to) != 0)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "gridftp: cannot rename '%s' to '%s': not on one server", from, to);
      return FALSE;
    }
  g_autofree char *subject = g_strdup_printf ("rename of '%s'", from);
  g_autoptr (Session) s = session_new (NULL, subject, error);
  g_autoptr (Failure) f = s ? session_run (s, globus_ftp_client_move (&s->ftp, from, to, &s->attr, on_done, s))
                            : NULL;
  return s && (!f || fail_with (f, "rename", from, to, error));
}

static gboolean
gridftp_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  if (!is_gridftp (pfn))
    return not_ours (pfn, error);
  g_autofree char *subject = g_strdup_printf ("checksum of '%s'", pfn);
  g_autoptr (Session) s = session_new (NULL, subject, error);
  if (!s)
    return FALSE;
  guint32 adler;
  guint64 bytes;
  const char *source = "server";
  g_autoptr (Failure) f = ftp_cksm (s, pfn, &adler);
  if (f && f->reply >= 500 && f->err == 0)
    {
      /* The server refused CKSM itself, not the file: read the file back. */
      g_clear_pointer (&f, failure_free);
      source = "read-back";
      f = receive (s, pfn, -1, pfn);
      if (!f)
        f = received_sum (s, pfn, sum);
    }
  else if (!f && !(f = ftp_size (s, pfn, &bytes)))
    px_checksum_set_adler32 (sum, adler, bytes);
  if (f)
    return fail_with (f, "checksum", pfn, NULL, error);
  if (how)
    *how = source;
  return TRUE;
}

static const char *const gridftp_schemes[] = { "gsiftp", "ftp", NULL };

const PxTransferBackend px_transfer_gridftp = {
  .name = "gridftp",
  .schemes = gridftp_schemes,
  .copy = gridftp_copy,
  .stat = gridftp_stat,
  .remove = gridftp_remove,
  .rename = gridftp_rename,
  .checksum = gridftp_checksum,
};
