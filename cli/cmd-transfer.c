/* phedex transfer — run one backend operation by hand, the way a site admin
 * tests a storage element before pointing agents at it (gfal-copy style):
 *   phedex transfer copy FROM TO | stat PFN | rm PFN | rename FROM TO | checksum PFN
 * The backend is chosen by URL scheme exactly as the download agent does. */
#include "cli-json.h"
#include "transfer/transfer.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void
on_interrupt (int sig)
{
  interrupted = 1;
}

static gboolean
is_cancelled (void)
{
  return interrupted != 0;
}

static const char *
code_name (const GError *e)
{
  if (e->domain != PX_TRANSFER_ERROR)
    return "error";
  switch (e->code)
    {
    case PX_TRANSFER_ERROR_TRANSIENT: return "transient";
    case PX_TRANSFER_ERROR_PERMANENT: return "permanent";
    case PX_TRANSFER_ERROR_CHECKSUM: return "checksum";
    case PX_TRANSFER_ERROR_CANCELLED: return "cancelled";
    default: return "error";
    }
}

/* Say what failed: as JSON on stdout with --json, and always as the error
 * (exit 3 when worth retrying). */
static gboolean
fail (PxCli *cli, const char *op, GError *e, const char *log, GError **error)
{
  if (cli->json)
    {
      g_auto(PxJson) j;
      px_json_init (&j, PX_JSON_COMPACT);
      px_json_begin_object (&j, NULL);
      px_json_bool (&j, "ok", FALSE);
      px_json_string (&j, "operation", op);
      px_json_string (&j, "error", code_name (e));
      px_json_string (&j, "message", e->message);
      px_json_string (&j, "log", log && *log ? log : NULL);
      px_json_end (&j);
      px_json_print (&j);
    }
  g_set_error (error, PX_CLI_ERROR,
               g_error_matches (e, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT) ? PX_CLI_ERROR_TRANSIENT
                                                                                   : PX_CLI_ERROR_FAILED,
               "%s failed (%s error): %s%s%s", op, code_name (e), e->message, log && *log ? "\n  log: " : "",
               log && *log ? log : "");
  return FALSE;
}

gboolean
px_cmd_transfer (PxCli *cli, int argc, char **argv, GError **error)
{
  gboolean insecure = FALSE;
  int streams = 4;
  double timeout = 0;
  gint64 tcp_buffer = 0;
  g_autofree char *ca_dir = NULL, *cert = NULL, *key = NULL, *command = NULL, *checksums = NULL;
  GOptionEntry entries[] = {
    PX_CLI_JSON_ENTRY (cli, "print one JSON object"),
    { "streams", 0, 0, G_OPTION_ARG_INT, &streams, "gridftp parallel streams (default 4)", "N" },
    { "tcp-buffer", 0, 0, G_OPTION_ARG_INT64, &tcp_buffer, "gridftp TCP buffer bytes (default: system)", "BYTES" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "give up after SECONDS (default: never)", "SECONDS" },
    { "ca-dir", 0, 0, G_OPTION_ARG_FILENAME, &ca_dir, "CA certificate directory for https/davs", "DIR" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "client certificate (PEM) for https/davs", "FILE" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "client key (PEM) for https/davs", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "do not verify the https server (test servers only)", NULL },
    { "command", 0, 0, G_OPTION_ARG_STRING, &command, "copy with this command (run as CMD FROM TO)", "CMD" },
    { "checksums", 0, 0, G_OPTION_ARG_STRING, &checksums, "streamed checksums: adler32 (default) or adler32,cksum",
      "LIST" },
    { NULL }
  };
  if (!px_cli_parse (cli, "copy FROM TO | stat PFN | rm PFN | rename FROM TO | checksum PFN",
                     "Run one transfer-backend operation on PFNs (file paths, file://, gsiftp://, ftp://, http(s)://, "
                     "dav(s)://, null://), with the backend the download agent would use.\n"
                     "Exit status: 0 ok, 1 permanent or checksum error, 2 usage, 3 transient error (worth retrying).",
                     entries, &argc, &argv, error))
    return FALSE;
  const char *op = argc > 1 ? argv[1] : "";
  int want = g_str_equal (op, "copy") || g_str_equal (op, "rename") ? 2
             : g_str_equal (op, "stat") || g_str_equal (op, "rm") || g_str_equal (op, "checksum") ? 1 : -1;
  if (want < 0 || argc != want + 2 || streams < 1 || tcp_buffer < 0 || timeout < 0)
    return px_cli_usage (cli, error, "%s",
                         want < 0 ? "name an operation: copy, stat, rm, rename or checksum"
                         : argc != want + 2 ? "wrong number of PFNs for this operation"
                                            : "--streams must be at least 1; --tcp-buffer and --timeout not negative");
  g_auto(GStrv) cmdv = NULL;
  if (command)
    {
      g_autoptr(GError) pe = NULL;
      if (!g_shell_parse_argv (command, NULL, &cmdv, &pe))
        return g_set_error (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "--command: %s", pe->message), FALSE;
    }
  guint algos = PX_CHECKSUM_ADLER32;
  if (checksums && strcmp (checksums, "adler32,cksum") && strcmp (checksums, "cksum,adler32")
      && strcmp (checksums, "adler32"))
    return g_set_error_literal (error, PX_CLI_ERROR, PX_CLI_ERROR_USAGE, "--checksums must be adler32 or adler32,cksum"),
           FALSE;
  if (checksums && strstr (checksums, "cksum"))
    algos |= PX_CHECKSUM_CKSUM;
  PxTransferConfig cfg = { .checksums = algos, .gridftp_streams = streams, .gridftp_tcp_buffer = (guint64) tcp_buffer, .ca_dir = ca_dir,
                           .cert = cert, .key = key, .insecure = insecure, .command = cmdv };
  px_transfer_configure (&cfg);
  struct sigaction sa = { 0 };
  sa.sa_handler = on_interrupt;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);

  const char *a = argv[2], *b = argc > 3 ? argv[3] : NULL;
  g_autoptr(GError) e = NULL;
  g_auto(PxJson) j;
  px_json_init (&j, PX_JSON_COMPACT);
  px_json_begin_object (&j, NULL);
  px_json_bool (&j, "ok", TRUE);
  px_json_string (&j, "operation", op);
  if (g_str_equal (op, "copy"))
    {
      const PxTransferBackend *be = px_transfer_backend_for_copy (a, b, &e);
      PxTransferRequest req = { a, b, 0, 1, is_cancelled, timeout, NULL, NULL };
      PxTransferResult res;
      px_transfer_result_init (&res);
      gint64 t0 = g_get_monotonic_time ();
      if (!be || !be->copy (&req, &res, &e))
        {
          fail (cli, op, e, res.log->str, error);
          px_transfer_result_clear (&res);
          return FALSE;
        }
      double secs = (g_get_monotonic_time () - t0) / 1e6;
      g_autofree char *sum = res.have_checksum ? px_checksum_format (&res.checksum) : NULL;
      if (cli->json)
        {
          px_json_string (&j, "backend", be->name);
          px_json_int (&j, "bytes", (gint64) res.bytes);
          px_json_fixed (&j, "seconds", secs, 6);
          px_json_string (&j, "checksum", sum);
          px_json_string (&j, "checksum_source", res.have_checksum ? res.checksum_source : NULL);
          px_json_string (&j, "log", res.log->str);
          px_json_end (&j);
          px_json_print (&j);
        }
      else
        {
          g_autofree char *size = px_cli_bytes ((gint64) res.bytes);
          g_autofree char *rate = px_cli_bytes ((gint64) (secs > 0 ? res.bytes / secs : 0));
          printf ("%s backend: %s (%" G_GUINT64_FORMAT " bytes) in %.3f s, %s/s\n", be->name, size, res.bytes, secs,
                  rate);
          printf ("checksum: %s (%s)\n", sum ? sum : "none computed (verify must read the copy)",
                  res.have_checksum && res.checksum_source ? res.checksum_source : "-");
        }
      px_transfer_result_clear (&res);
      return TRUE;
    }
  const PxTransferBackend *be = px_transfer_backend_for (g_str_equal (op, "rename") ? b : a, &e);
  if (g_str_equal (op, "stat"))
    {
      guint64 bytes = 0;
      if (!be || !be->stat (a, &bytes, &e))
        return fail (cli, op, e, NULL, error);
      if (cli->json)
        {
          px_json_int (&j, "bytes", (gint64) bytes);
          px_json_end (&j);
          px_json_print (&j);
        }
      else
        printf ("%" G_GUINT64_FORMAT "\t%s\n", bytes, a);
    }
  else if (g_str_equal (op, "checksum"))
    {
      PxChecksum sum;
      const char *how = "read-back";
      if (!be || !be->checksum (a, &sum, &how, &e))
        return fail (cli, op, e, NULL, error);
      g_autofree char *s = px_checksum_format (&sum);
      if (cli->json)
        {
          px_json_int (&j, "bytes", (gint64) sum.bytes);
          px_json_string (&j, "checksum", s);
          px_json_string (&j, "checksum_source", how);
          px_json_end (&j);
          px_json_print (&j);
        }
      else
        printf ("%s\t%s\t(%s)\n", s, a, how);
    }
  else
    {
      gboolean ok = be && (g_str_equal (op, "rm") ? be->remove (a, &e) : be->rename (a, b, &e));
      if (!ok)
        return fail (cli, op, e, NULL, error);
      if (cli->json)
        {
          px_json_end (&j);
          px_json_print (&j);
        }
    }
  return TRUE;
}
