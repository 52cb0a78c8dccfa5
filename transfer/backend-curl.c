/* backend-curl.c — HTTP(S) and WebDAV storage through libcurl's easy API.
 * Schemes http://, https://, dav:// and davs:// (the last two are how sites
 * write WebDAV PFNs; on the wire they are http:// and https://).
 *
 * How it is built:
 *  - Every operation is one or more HTTP requests made by request(): it sets
 *    the options every request shares (TLS from px_transfer_config(),
 *    NOSIGNAL, connect and low-speed limits, the progress/cancel/timeout
 *    callback), performs the request and records what came back (status,
 *    reason, Content-Length, Digest) in an HttpCall.  http_check() turns
 *    that record into TRUE or a PX_TRANSFER_ERROR that says whether a retry
 *    can help.
 *  - A handle belongs to one operation of one thread (the download agent
 *    copies in parallel); the requests of an operation (MKCOL, PUT, DELETE)
 *    reuse it and so its connection.
 *  - Bytes stream through us: a GET's body goes through the write callback
 *    into the local file, a PUT's body comes from the local file through the
 *    read callback, and both feed a PxChecksum, so a copy is verified
 *    without reading it again.  The callbacks only hand the chunks to a
 *    worker thread (PxSumPipe) that checksums them while the next ones move,
 *    so a copy runs at the network's speed, not network plus checksum.
 *  - A PUT first creates the missing parent collections with MKCOL, deepest
 *    first, so the common case (the parent exists, 405) costs one request.
 *  - Reads follow redirects; a PUT follows only 307/308 (which keep the
 *    method), rewinding the source, and never from https to http.
 *  - A copy between two URLs of one server is a WebDAV COPY; between two
 *    servers it is refused (HTTP third-party copy is not supported). */
#include "config.h"
#include "transfer-private.h"
#include "sum-pipe.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Autocleanups for libcurl's types (common/px-common.h does not include curl). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURLU, curl_url_cleanup)

#define CONNECT_TIMEOUT 30L  /* seconds to establish a connection */
#define LOW_SPEED_TIME 120L  /* a connection moving under 1 byte/s this long is dead */
#define CLEANUP_TIMEOUT 30.0 /* seconds for the DELETE of a failed upload */
#define MAX_REDIRECTS 5
#define BUFFER_SIZE (512L * 1024) /* receive buffer: fewer, larger writes */
#define UPLOAD_BUFFER_SIZE (2L * 1024 * 1024)
#define WRITEBACK_STEP (8u << 20) /* start writing a download to disk every 8 MB */


/* One HTTP request: what to send, and what came back. */
typedef struct
{
  const char *method;      /* GET HEAD PUT DELETE MKCOL MOVE COPY */
  const char *url;         /* http:// or https:// */
  const char *destination; /* Destination header (MOVE, COPY), or NULL */
  gboolean want_digest;    /* ask for the server's adler32 (RFC 3230) */
  gboolean follow;         /* follow redirects (reads only) */
  int body_in;             /* PUT: send this file (-1: no body) */
  guint64 body_in_size;
  int body_out;            /* GET: write a 2xx body here (-1: drop it) */
  const char *local_path;  /* the file of body_in/body_out, for messages */
  PxChecksum *sum;         /* body bytes go through this (NULL: none) */
  PxSumPipe *pipe;           /* ... by way of this worker, during request() */
  const PxTransferRequest *req; /* cancel, progress (NULL: neither) */
  gint64 deadline;         /* monotonic µs; 0 = none */

  CURL *handle;
  CURLcode rc;
  long status;             /* final HTTP status; 0 when none arrived */
  char reason[80];         /* its status line's text, e.g. "Not Found" */
  char *digest;            /* the Digest header's value, or NULL */
  char *redirect;          /* where a redirect not followed points, or NULL */
  gint64 content_length;   /* -1 when not announced */
  guint64 bytes;           /* body bytes received (GET) or read from body_in (PUT) */
  guint64 reported;        /* bytes last given to req->progress */
  guint64 written_back;    /* body_out bytes whose writeback has been started */
  int local_errno;         /* reading body_in or writing body_out failed */
  gboolean cancelled, timed_out;
  char errbuf[CURL_ERROR_SIZE];
} HttpCall;

static void
http_init (HttpCall *c, const char *method, const char *url)
{
  memset (c, 0, sizeof *c);
  c->method = method;
  c->url = url;
  c->body_in = c->body_out = -1;
  c->content_length = -1;
}

static void
http_clear (HttpCall *c)
{
  g_clear_pointer (&c->digest, g_free);
  g_clear_pointer (&c->redirect, g_free);
}

static gboolean
http_2xx (const HttpCall *c)
{
  return c->rc == CURLE_OK && c->status >= 200 && c->status < 300;
}

/* ---- errors ---- */

static gboolean
local_error (GError **error, int err, const char *what, const char *path)
{
  const char *hint = err == ENOSPC || err == EDQUOT ? " (storage full: free space or raise the quota)" : "";
  g_set_error (error, PX_TRANSFER_ERROR, px_transfer_errno_code (err), "%s '%s': %s%s", what, path,
               g_strerror (err), hint);
  return FALSE;
}

/* What an HTTP status means and what to do about it. */
static int
status_code (long status, const char **hint)
{
  switch (status)
    {
    case 401:
      *hint = "authentication required: give a client certificate the storage accepts (--cert/--key, cert and "
              "key in [transfer])";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 403:
      *hint = "permission denied: ask the storage admins to authorise this identity for the path";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 404:
      *hint = "no such file on the server: check the PFN (and the TFC rule that made it)";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 405:
      *hint = "the server does not allow this method here: check that WebDAV is enabled for the path";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 409:
      *hint = "conflict: the parent collection is missing and could not be created, or is not a collection";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 413:
      *hint = "the file is larger than the server accepts: raise its upload limit";
      return PX_TRANSFER_ERROR_PERMANENT;
    case 408: /* request timeout */
    case 429: /* too many requests */
      *hint = "the server is busy: will retry";
      return PX_TRANSFER_ERROR_TRANSIENT;
    case 507:
      *hint = "destination storage full (507): will retry once space is freed";
      return PX_TRANSFER_ERROR_TRANSIENT;
    }
  if (status >= 500)
    {
      *hint = "server error: will retry; if it persists, see the server's log";
      return PX_TRANSFER_ERROR_TRANSIENT;
    }
  if (status >= 300 && status < 400)
    {
      *hint = "redirected, and this request does not follow redirects there: put the final URL in the TFC";
      return PX_TRANSFER_ERROR_PERMANENT;
    }
  *hint = "the server refused the request";
  return PX_TRANSFER_ERROR_PERMANENT;
}

/* What a libcurl failure means and what to do about it. */
static const struct
{
  CURLcode rc;
  int code;
  const char *what, *hint;
} curl_failures[] = {
  { CURLE_COULDNT_CONNECT, PX_TRANSFER_ERROR_TRANSIENT, "cannot connect to the server",
    "is it running and reachable? will retry" },
  { CURLE_COULDNT_RESOLVE_HOST, PX_TRANSFER_ERROR_TRANSIENT, "cannot resolve the server's name",
    "check the PFN's host name and DNS; will retry" },
  { CURLE_OPERATION_TIMEDOUT, PX_TRANSFER_ERROR_TRANSIENT, "the server stopped answering", "will retry" },
  { CURLE_SSL_CONNECT_ERROR, PX_TRANSFER_ERROR_TRANSIENT, "TLS handshake failed",
    "check the URL's scheme and port, and --cert/--key; will retry" },
  { CURLE_PEER_FAILED_VERIFICATION, PX_TRANSFER_ERROR_PERMANENT, "the server's certificate cannot be verified",
    "give the CA that signed it with --ca-dir (ca_dir in [transfer])" },
  { CURLE_SSL_CACERT_BADFILE, PX_TRANSFER_ERROR_PERMANENT, "cannot load the CA certificates",
    "check --ca-dir (ca_dir in [transfer])" },
  { CURLE_SSL_ISSUER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "the server's certificate has the wrong issuer",
    "check --ca-dir (ca_dir in [transfer])" },
  { CURLE_SSL_CERTPROBLEM, PX_TRANSFER_ERROR_PERMANENT, "cannot use the client certificate",
    "check --cert and --key (cert and key in [transfer])" },
  { CURLE_URL_MALFORMAT, PX_TRANSFER_ERROR_PERMANENT, "bad URL", "check the PFN" },
  { CURLE_UNSUPPORTED_PROTOCOL, PX_TRANSFER_ERROR_PERMANENT, "unsupported protocol", "check the PFN" },
  { CURLE_TOO_MANY_REDIRECTS, PX_TRANSFER_ERROR_PERMANENT, "too many redirects",
    "put the final URL in the TFC" },
};

static gboolean
curl_failure (const HttpCall *c, GError **error)
{
  int code = PX_TRANSFER_ERROR_TRANSIENT;
  const char *what = "connection failed", *hint = "will retry";
  for (gsize i = 0; i < G_N_ELEMENTS (curl_failures); i++)
    if (curl_failures[i].rc == c->rc)
      {
        code = curl_failures[i].code;
        what = curl_failures[i].what;
        hint = curl_failures[i].hint;
      }
  g_set_error (error, PX_TRANSFER_ERROR, code, "%s '%s' failed: %s: %s (%s)", c->method, c->url, what,
               c->errbuf[0] ? c->errbuf : curl_easy_strerror (c->rc), hint);
  return FALSE;
}

/* TRUE when C ended in a 2xx; otherwise the error a caller reports. */
static gboolean
http_check (const HttpCall *c, GError **error)
{
  if (c->cancelled)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED, "%s '%s' cancelled", c->method, c->url);
      return FALSE;
    }
  if (c->timed_out)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "%s '%s' gave up after the %g s timeout (%" G_GUINT64_FORMAT " bytes moved; will retry)",
                   c->method, c->url, c->req ? c->req->timeout : 0, c->bytes);
      return FALSE;
    }
  if (c->local_errno)
    return local_error (error, c->local_errno, c->body_in >= 0 ? "cannot read source" : "cannot write",
                        c->local_path);
  /* A final error response explains more than the broken connection after it. */
  if (c->status >= 400 || (c->status >= 300 && c->rc == CURLE_OK))
    {
      const char *hint;
      int code = status_code (c->status, &hint);
      g_set_error (error, PX_TRANSFER_ERROR, code, "%s '%s' failed: HTTP %ld%s%s%s%s: %s", c->method, c->url,
                   c->status, c->reason[0] ? " " : "", c->reason, c->redirect ? " to " : "",
                   c->redirect ? c->redirect : "", hint);
      return FALSE;
    }
  if (c->rc != CURLE_OK)
    return curl_failure (c, error);
  if (c->status < 200)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "%s '%s' failed: no HTTP response (will retry)", c->method, c->url);
      return FALSE;
    }
  return TRUE;
}

/* A body that ended before its announced Content-Length. */
static gboolean
body_complete (const HttpCall *c, GError **error)
{
  if (c->content_length < 0 || c->bytes == (guint64) c->content_length)
    return TRUE;
  g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
               "%s '%s' received %" G_GUINT64_FORMAT " bytes of the %" G_GINT64_FORMAT
               " announced (connection cut short; will retry)",
               c->method, c->url, c->bytes, c->content_length);
  return FALSE;
}

/* ---- libcurl callbacks ---- */

static size_t
on_header (char *line, size_t size, size_t n, void *data)
{
  HttpCall *c = data;
  size_t len = size * n;
  g_autofree char *text = g_strstrip (g_strndup (line, len));
  if (g_str_has_prefix (text, "HTTP/"))
    {
      /* A new response (100 Continue, a redirect, the final one): forget the last. */
      const char *p = strchr (text, ' ');
      p = p ? strchr (p + 1, ' ') : NULL;
      g_strlcpy (c->reason, p ? p + 1 : "", sizeof c->reason);
      g_clear_pointer (&c->digest, g_free);
    }
  else if (g_ascii_strncasecmp (text, "Digest:", 7) == 0)
    {
      g_free (c->digest);
      c->digest = g_strdup (g_strchug (text + 7));
    }
  return len;
}

/* Have the kernel start writing the body to disk every few MB, so the
 * final fdatasync waits for the tail only, not the whole file. */
static void
start_writeback (HttpCall *c)
{
  if (c->body_out < 0 || c->bytes - c->written_back < WRITEBACK_STEP)
    return;
  sync_file_range (c->body_out, (off_t) c->written_back, (off_t) (c->bytes - c->written_back),
                   SYNC_FILE_RANGE_WRITE);
  c->written_back = c->bytes;
}

static size_t
on_write (char *data, size_t size, size_t n, void *user)
{
  HttpCall *c = user;
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo (c->handle, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300)
    return len; /* an error page or a redirect's body: not the file */
  if (c->pipe)
    px_sum_pipe_feed (c->pipe, (const guint8 *) data, len);
  for (size_t done = 0; c->body_out >= 0 && done < len;)
    {
      ssize_t w = write (c->body_out, data + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          c->local_errno = errno;
          return 0; /* libcurl stops with CURLE_WRITE_ERROR */
        }
      done += (size_t) w;
    }
  c->bytes += len;
  start_writeback (c);
  return len;
}

static size_t
on_read (char *buf, size_t size, size_t n, void *user)
{
  HttpCall *c = user;
  ssize_t r;
  do
    r = read (c->body_in, buf, size * n);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    {
      c->local_errno = errno;
      return CURL_READFUNC_ABORT;
    }
  if (c->pipe)
    px_sum_pipe_feed (c->pipe, (const guint8 *) buf, (gsize) r);
  c->bytes += (guint64) r;
  return (size_t) r;
}

/* libcurl rewinds an upload it must send again: start the checksum over. */
static int
on_seek (void *user, curl_off_t offset, int origin)
{
  HttpCall *c = user;
  if (origin != SEEK_SET || offset != 0 || lseek (c->body_in, 0, SEEK_SET) < 0)
    return CURL_SEEKFUNC_CANTSEEK;
  if (c->pipe)
    {
      px_sum_pipe_drain (c->pipe);
      px_transfer_checksum_init (c->sum);
    }
  c->bytes = 0;
  return CURL_SEEKFUNC_OK;
}

static int
on_progress (void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  HttpCall *c = user;
  const PxTransferRequest *req = c->req;
  if (req && req->cancelled && req->cancelled ())
    c->cancelled = TRUE;
  else if (c->deadline && g_get_monotonic_time () >= c->deadline)
    c->timed_out = TRUE;
  if (c->cancelled || c->timed_out)
    return 1; /* libcurl stops with CURLE_ABORTED_BY_CALLBACK */
  guint64 moved = (guint64) (c->body_in >= 0 ? ulnow : dlnow);
  if (req && req->progress && moved != c->reported)
    {
      c->reported = moved;
      req->progress (moved, req->progress_data);
    }
  return 0;
}

/* ---- requests ---- */

static gpointer
global_init (gpointer unused)
{
  return GINT_TO_POINTER (curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

static CURL *
new_handle (GError **error)
{
  static GOnce once = G_ONCE_INIT;
  CURL *h = g_once (&once, global_init, NULL) ? curl_easy_init () : NULL;
  if (!h)
    g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT, "cannot initialise libcurl");
  return h;
}

/* ca_dir is a directory of hashed CA certificates (added to libcurl's
 * default bundle, as /etc/grid-security/certificates) or one PEM file
 * (instead of it). */
static void
set_tls (CURL *h)
{
  const PxTransferConfig *cfg = px_transfer_config ();
  if (cfg->ca_dir)
    curl_easy_setopt (h, g_file_test (cfg->ca_dir, G_FILE_TEST_IS_DIR) ? CURLOPT_CAPATH : CURLOPT_CAINFO,
                      cfg->ca_dir);
  if (cfg->cert)
    curl_easy_setopt (h, CURLOPT_SSLCERT, cfg->cert);
  if (cfg->key)
    curl_easy_setopt (h, CURLOPT_SSLKEY, cfg->key);
  if (cfg->insecure)
    {
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static void
set_method (CURL *h, HttpCall *c)
{
  if (g_str_equal (c->method, "HEAD"))
    curl_easy_setopt (h, CURLOPT_NOBODY, 1L);
  else if (g_str_equal (c->method, "PUT"))
    {
      curl_easy_setopt (h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) c->body_in_size);
      curl_easy_setopt (h, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (h, CURLOPT_READDATA, c);
      curl_easy_setopt (h, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt (h, CURLOPT_SEEKDATA, c);
      curl_easy_setopt (h, CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFFER_SIZE);
    }
  else if (!g_str_equal (c->method, "GET"))
    curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, c->method);
}

/* Make request C on handle H (reset first, so its connection is reused). */
static void
request (CURL *h, HttpCall *c)
{
  struct curl_slist *headers = NULL;
  if (c->destination)
    {
      g_autofree char *d = g_strdup_printf ("Destination: %s", c->destination);
      headers = curl_slist_append (headers, d);
      headers = curl_slist_append (headers, "Overwrite: T");
    }
  if (c->want_digest)
    headers = curl_slist_append (headers, "Want-Digest: adler32");

  curl_easy_reset (h);
  c->handle = h;
  curl_easy_setopt (h, CURLOPT_URL, c->url);
  curl_easy_setopt (h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt (h, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
  curl_easy_setopt (h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
  curl_easy_setopt (h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (h, CURLOPT_BUFFERSIZE, BUFFER_SIZE);
  if (c->follow)
    {
      curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt (h, CURLOPT_MAXREDIRS, (long) MAX_REDIRECTS);
      curl_easy_setopt (h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
  if (c->deadline)
    curl_easy_setopt (h, CURLOPT_TIMEOUT_MS, (long) MAX (1, (c->deadline - g_get_monotonic_time ()) / 1000));
  set_tls (h);
  set_method (h, c);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt (h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (h, CURLOPT_XFERINFODATA, c);
  curl_easy_setopt (h, CURLOPT_NOPROGRESS, 0L);

  c->errbuf[0] = '\0';
  c->pipe = c->sum ? px_sum_pipe_start (c->sum) : NULL;
  c->rc = curl_easy_perform (h);
  g_clear_pointer (&c->pipe, px_sum_pipe_finish);
  curl_slist_free_all (headers);

  curl_off_t length = -1;
  char *redirect = NULL;
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &c->status);
  curl_easy_getinfo (h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  curl_easy_getinfo (h, CURLINFO_REDIRECT_URL, &redirect);
  c->content_length = length;
  c->redirect = g_strdup (redirect);
  /* libcurl's own timeout is the same deadline as ours. */
  if (c->rc == CURLE_OPERATION_TIMEDOUT && c->deadline && g_get_monotonic_time () >= c->deadline - 100000)
    c->timed_out = TRUE;
}

/* ---- URLs ---- */

/* The http(s):// URL of an http(s):// or dav(s):// PFN, else NULL. */
static char *
http_url (const char *pfn)
{
  static const struct { const char *from, *to; } map[] = {
    { "http", "http" }, { "https", "https" }, { "dav", "http" }, { "davs", "https" },
  };
  const char *scheme = g_uri_peek_scheme (pfn);
  for (gsize i = 0; scheme && i < G_N_ELEMENTS (map); i++)
    if (strcmp (scheme, map[i].from) == 0)
      {
        g_autoptr(CURLU) u = curl_url ();
        char *url = NULL;
        if (!u || curl_url_set (u, CURLUPART_URL, pfn, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK
            || curl_url_set (u, CURLUPART_SCHEME, map[i].to, 0) != CURLUE_OK
            || curl_url_get (u, CURLUPART_URL, &url, 0) != CURLUE_OK)
          return NULL;
        char *out = g_strdup (url);
        curl_free (url);
        return out;
      }
  return NULL;
}

static char *
http_url_or_fail (const char *pfn, GError **error)
{
  char *url = http_url (pfn);
  if (!url)
    g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                 "'%s' is not an http(s):// or dav(s):// URL", pfn);
  return url;
}

static CURLU *
parse_url (const char *url)
{
  CURLU *u = curl_url ();
  if (u && curl_url_set (u, CURLUPART_URL, url, 0) != CURLUE_OK)
    g_clear_pointer (&u, curl_url_cleanup);
  return u;
}

/* The URL of URL's parent collection ("…/a/b/" of "…/a/b/c"), NULL at the root. */
static char *
parent_url (const char *url)
{
  g_autoptr(CURLU) u = parse_url (url);
  char *path = NULL, *parent = NULL;
  if (!u || curl_url_get (u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
    return NULL;
  g_autofree char *dir = g_strdup (path);
  curl_free (path);
  gsize len = strlen (dir);
  while (len > 0 && dir[len - 1] == '/')
    dir[--len] = '\0';
  char *slash = strrchr (dir, '/');
  if (!slash || slash == dir)
    return NULL;
  slash[1] = '\0';
  curl_url_set (u, CURLUPART_PATH, dir, 0);
  curl_url_set (u, CURLUPART_QUERY, NULL, 0);
  if (curl_url_get (u, CURLUPART_URL, &parent, 0) != CURLUE_OK)
    return NULL;
  char *out = g_strdup (parent);
  curl_free (parent);
  return out;
}

/* "scheme://host:port" of URL, the port made explicit; NULL when unparsable. */
static char *
server_of (const char *url)
{
  g_autoptr(CURLU) u = parse_url (url);
  char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
  if (u && curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
    {
      g_autofree char *s = g_strdup_printf ("%s://%s:%s", scheme, host, port);
      out = g_ascii_strdown (s, -1);
    }
  curl_free (scheme);
  curl_free (host);
  curl_free (port);
  return out;
}

static gboolean
same_server (const char *a, const char *b)
{
  g_autofree char *sa = server_of (a), *sb = server_of (b);
  return sa && sb && g_str_equal (sa, sb);
}

/* ---- WebDAV steps shared by the operations ---- */

/* MKCOL the collection DIR_URL and any missing ancestors (REQ, when not
 * NULL, may cancel them; DEADLINE as in HttpCall).  The deepest is tried
 * first: it usually exists (405) or its parent does (201). */
static gboolean
make_collection (CURL *h, const char *dir_url, const PxTransferRequest *req, gint64 deadline, int depth,
                 GError **error)
{
  HttpCall c;
  http_init (&c, "MKCOL", dir_url);
  c.req = req;
  c.deadline = deadline;
  request (h, &c);
  gboolean ok;
  if (c.rc == CURLE_OK && (c.status == 405 || (c.status >= 200 && c.status < 300)))
    ok = TRUE;
  else if (c.rc == CURLE_OK && c.status == 409 && depth < 64)
    {
      /* The parent is missing too: make it, then this one. */
      g_autofree char *up = parent_url (dir_url);
      ok = up ? make_collection (h, up, req, deadline, depth + 1, error)
                  && make_collection (h, dir_url, req, deadline, depth + 1, error)
              : http_check (&c, error);
    }
  else
    ok = http_check (&c, error);
  http_clear (&c);
  return ok;
}

static gboolean
make_parents (CURL *h, const char *url, const PxTransferRequest *req, gint64 deadline, GError **error)
{
  g_autofree char *parent = parent_url (url);
  if (!parent)
    return TRUE; /* the server's root */
  if (!make_collection (h, parent, req, deadline, 0, error))
    {
      g_prefix_error (error, "cannot create the parent collection of '%s': ", url);
      return FALSE;
    }
  return TRUE;
}

/* Best-effort DELETE of what a failed upload may have left at URL. */
static void
remove_partial (CURL *h, const char *url, GString *log)
{
  HttpCall c;
  http_init (&c, "DELETE", url);
  c.deadline = g_get_monotonic_time () + (gint64) (CLEANUP_TIMEOUT * G_USEC_PER_SEC);
  request (h, &c);
  g_autoptr(GError) e = NULL;
  if (log->len)
    g_string_append (log, "; ");
  if (c.rc == CURLE_OK && c.status == 404)
    g_string_append (log, "nothing left at the destination");
  else if (http_check (&c, &e))
    g_string_append (log, "removed the partial upload");
  else
    g_string_append_printf (log, "could not remove the partial upload: %s", e->message);
  http_clear (&c);
}

/* ---- copy ---- */

static gint64
deadline_of (const PxTransferRequest *req)
{
  return req->timeout > 0 ? g_get_monotonic_time () + (gint64) (req->timeout * G_USEC_PER_SEC) : 0;
}

/* GET URL into the local file PATH, checksummed on the way. */
static gboolean
get_to_file (CURL *h, const PxTransferRequest *req, const char *url, const char *path, PxTransferResult *res,
             GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return local_error (error, errno, "cannot create directory", dir);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return local_error (error, errno, "cannot create", path);

  HttpCall c;
  http_init (&c, "GET", url);
  c.follow = TRUE;
  c.body_out = fd;
  c.local_path = path;
  c.sum = &res->checksum;
  c.req = req;
  c.deadline = deadline_of (req);
  px_transfer_checksum_init (&res->checksum);
  request (h, &c);
  res->bytes = c.bytes;
  gboolean ok = http_check (&c, error) && body_complete (&c, error);
  if (ok && fdatasync (fd) < 0)
    ok = local_error (error, errno, "cannot flush", path);
  if (close (fd) < 0 && ok)
    ok = local_error (error, errno, "cannot close", path);
  http_clear (&c);
  if (!ok)
    unlink (path);
  return ok;
}

/* May a PUT that got C follow its redirect?  Only 307/308 keep the method
 * and body, and never to plain http from https (credentials, integrity). */
static gboolean
put_redirect_allowed (const HttpCall *c)
{
  return c->rc == CURLE_OK && (c->status == 307 || c->status == 308) && c->redirect
         && (g_ascii_strncasecmp (c->url, "https://", 8) != 0 || g_ascii_strncasecmp (c->redirect, "https://", 8) == 0);
}

/* PUT the local file PATH to URL, checksummed on the way. */
static gboolean
put_from_file (CURL *h, const PxTransferRequest *req, const char *path, const char *url, PxTransferResult *res,
               GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return local_error (error, errno, "cannot open source", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return local_error (error, e, "cannot stat source", path);
    }
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  gint64 deadline = deadline_of (req);
  gboolean ok = make_parents (h, url, req, deadline, error);
  g_autofree char *target = g_strdup (url);
  HttpCall c;
  http_init (&c, "PUT", target);
  for (int hops = 0; ok; hops++)
    {
      http_clear (&c);
      http_init (&c, "PUT", target);
      c.body_in = fd;
      c.body_in_size = (guint64) st.st_size;
      c.local_path = path;
      c.sum = &res->checksum;
      c.req = req;
      c.deadline = deadline;
      px_transfer_checksum_init (&res->checksum);
      if (lseek (fd, 0, SEEK_SET) < 0)
        {
          ok = local_error (error, errno, "cannot rewind source", path);
          break;
        }
      request (h, &c);
      if (hops >= MAX_REDIRECTS || !put_redirect_allowed (&c))
        break;
      g_string_append_printf (res->log, "%sPUT redirected to %s", res->log->len ? "; " : "", c.redirect);
      g_free (target);
      target = g_strdup (c.redirect);
    }
  res->bytes = c.bytes;
  if (ok)
    ok = http_check (&c, error);
  if (ok && c.bytes != (guint64) st.st_size)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "source '%s' changed size during the upload (%" G_GUINT64_FORMAT " bytes sent, %" G_GINT64_FORMAT
                   " expected)", path, c.bytes, (gint64) st.st_size);
      ok = FALSE;
    }
  close (fd);
  /* Nothing reached the server when it could not be reached at all. */
  if (!ok && (c.status != 0 || c.bytes > 0))
    remove_partial (h, target, res->log);
  http_clear (&c);
  return ok;
}

static gboolean curl_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error);

/* WebDAV COPY within one server, then the copy's checksum from the server
 * (or read back: the bytes did not pass through us). */
static gboolean
copy_on_server (CURL *h, const PxTransferRequest *req, const char *from, const char *to, PxTransferResult *res,
                GError **error)
{
  if (!same_server (from, to))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "cannot copy '%s' to '%s': HTTP third-party copy between servers is not supported (copy through a "
                   "local file, or use the gridftp or command backend)", from, to);
      return FALSE;
    }
  gint64 deadline = deadline_of (req);
  if (!make_parents (h, to, req, deadline, error))
    return FALSE;
  HttpCall c;
  http_init (&c, "COPY", from);
  c.destination = to;
  c.req = req;
  c.deadline = deadline;
  request (h, &c);
  gboolean ok = http_check (&c, error);
  http_clear (&c);
  if (!ok)
    return FALSE;
  if (!curl_checksum (to, &res->checksum, &res->checksum_source, error))
    {
      g_prefix_error (error, "copied on the server but cannot check the copy: ");
      return FALSE;
    }
  res->bytes = res->checksum.bytes;
  res->have_checksum = TRUE;
  g_string_append_printf (res->log, "%sCOPY on the server", res->log->len ? "; " : "");
  return TRUE;
}

static gboolean
curl_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  g_autofree char *src_path = px_transfer_local_path (req->source);
  g_autofree char *dst_path = px_transfer_local_path (req->destination);
  g_autofree char *src_url = http_url (req->source);
  g_autofree char *dst_url = http_url (req->destination);
  if ((src_path && dst_path) || !(src_path || src_url) || !(dst_path || dst_url))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "cannot copy '%s' to '%s': the curl backend copies between local files (absolute paths, "
                   "file://) and http(s)/dav(s) URLs",
                   req->source, req->destination);
      return FALSE;
    }
  g_autoptr(CURL) h = new_handle (error);
  if (!h)
    return FALSE;
  if (!src_path && !dst_path)
    return copy_on_server (h, req, src_url, dst_url, res, error);
  gboolean ok = src_path ? put_from_file (h, req, src_path, dst_url, res, error)
                         : get_to_file (h, req, src_url, dst_path, res, error);
  if (!ok)
    return FALSE;
  res->have_checksum = TRUE;
  res->checksum_source = "streamed";
  g_string_append_printf (res->log, "%s%s %" G_GUINT64_FORMAT " bytes", res->log->len ? "; " : "",
                          src_path ? "PUT" : "GET", res->bytes);
  return TRUE;
}

/* ---- stat, remove, rename, checksum ---- */

static gboolean
curl_stat (const char *pfn, guint64 *bytes, GError **error)
{
  g_autofree char *url = http_url_or_fail (pfn, error);
  g_autoptr(CURL) h = url ? new_handle (error) : NULL;
  if (!h)
    return FALSE;
  HttpCall c;
  http_init (&c, "HEAD", url);
  c.follow = TRUE;
  request (h, &c);
  gboolean ok = http_check (&c, error);
  if (ok && c.content_length < 0)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "HEAD '%s' gave no Content-Length: the server does not say the size (is it a collection?)", url);
      ok = FALSE;
    }
  if (ok)
    *bytes = (guint64) c.content_length;
  http_clear (&c);
  return ok;
}

static gboolean
curl_remove (const char *pfn, GError **error)
{
  g_autofree char *url = http_url_or_fail (pfn, error);
  g_autoptr(CURL) h = url ? new_handle (error) : NULL;
  if (!h)
    return FALSE;
  HttpCall c;
  http_init (&c, "DELETE", url);
  request (h, &c);
  gboolean ok = (c.rc == CURLE_OK && c.status == 404) || http_check (&c, error);
  http_clear (&c);
  return ok;
}

static gboolean
curl_rename (const char *from, const char *to, GError **error)
{
  g_autofree char *from_url = http_url_or_fail (from, error);
  g_autofree char *to_url = from_url ? http_url_or_fail (to, error) : NULL;
  if (!to_url)
    return FALSE;
  if (!same_server (from_url, to_url))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT,
                   "cannot rename '%s' to '%s': not on the same server", from, to);
      return FALSE;
    }
  g_autoptr(CURL) h = new_handle (error);
  if (!h)
    return FALSE;
  HttpCall c;
  http_init (&c, "MOVE", from_url);
  c.destination = to_url;
  request (h, &c);
  if (c.rc == CURLE_OK && c.status == 409)
    {
      /* The destination's collection is missing: make it and move again. */
      http_clear (&c);
      if (!make_parents (h, to_url, NULL, 0, error))
        return FALSE;
      http_init (&c, "MOVE", from_url);
      c.destination = to_url;
      request (h, &c);
    }
  gboolean ok = http_check (&c, error);
  http_clear (&c);
  return ok;
}

/* The adler32 in a Digest header value ("adler32=0a1b2c3d, md5=..."). */
static gboolean
digest_adler32 (const char *digest, guint32 *adler)
{
  g_auto(GStrv) parts = g_strsplit (digest ? digest : "", ",", -1);
  for (guint i = 0; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      if (g_ascii_strncasecmp (p, "adler32=", 8) != 0)
        continue;
      char *end = NULL;
      guint64 v = g_ascii_strtoull (p + 8, &end, 16);
      if (end != p + 8 && *end == '\0' && v <= G_MAXUINT32)
        {
          *adler = (guint32) v;
          return TRUE;
        }
    }
  return FALSE;
}

/* Ask the server for the adler32 (RFC 3230 Want-Digest on a HEAD); when it
 * has none, GET the file through a checksum. */
static gboolean
curl_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  g_autofree char *url = http_url_or_fail (pfn, error);
  g_autoptr(CURL) h = url ? new_handle (error) : NULL;
  if (!h)
    return FALSE;
  HttpCall c;
  http_init (&c, "HEAD", url);
  c.follow = TRUE;
  c.want_digest = TRUE;
  request (h, &c);
  guint32 adler;
  gboolean ok;
  if (http_2xx (&c) && c.content_length >= 0 && digest_adler32 (c.digest, &adler))
    {
      px_checksum_set_adler32 (sum, adler, (guint64) c.content_length);
      ok = TRUE;
      if (how)
        *how = "server";
    }
  else if (c.rc != CURLE_OK || c.status == 404)
    ok = http_check (&c, error);
  else
    {
      http_clear (&c);
      http_init (&c, "GET", url);
      c.follow = TRUE;
      c.sum = sum;
      px_transfer_checksum_init (sum);
      request (h, &c);
      ok = http_check (&c, error) && body_complete (&c, error);
      if (how)
        *how = "read-back";
    }
  http_clear (&c);
  return ok;
}

static const char *const curl_schemes[] = { "http", "https", "dav", "davs", NULL };

const PxTransferBackend px_transfer_curl = {
  .name = "curl",
  .schemes = curl_schemes,
  .copy = curl_copy,
  .stat = curl_stat,
  .remove = curl_remove,
  .rename = curl_rename,
  .checksum = curl_checksum,
};
