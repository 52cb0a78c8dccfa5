/* phedex transfer — run one backend operation by hand, the way a site admin
 * tests a storage element before pointing agents at it (gfal-copy style):
 *   phedex transfer copy FROM TO | stat PFN | rm PFN | rename FROM TO | checksum PFN
 * The backend is chosen by URL scheme exactly as the download agent does. */
#include "cli.h"
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

static int
exit_for (const GError *e)
{
  return e && g_error_matches (e, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT) ? 3 : PX_EXIT_FAILURE;
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

static void
fail (const char *op, gboolean json, const GError *e, const char *log)
{
  if (json)
    {
      g_autoptr(GString) o = g_string_new ("{\"ok\":false,\"operation\":");
      px_json_append_string (o, op);
      g_string_append (o, ",\"error\":");
      px_json_append_string (o, code_name (e));
      g_string_append (o, ",\"message\":");
      px_json_append_string (o, e->message);
      g_string_append (o, ",\"log\":");
      px_json_append_string (o, log && *log ? log : NULL);
      g_string_append (o, "}\n");
      fputs (o->str, stdout);
    }
  px_cli_error ("transfer", "%s failed (%s error): %s%s%s", op, code_name (e), e->message, log && *log ? "\n  log: " : "",
                log && *log ? log : "");
}

int
px_cmd_transfer (int argc, char **argv)
{
  gboolean json = FALSE, insecure = FALSE;
  int streams = 4;
  double timeout = 0;
  gint64 tcp_buffer = 0;
  g_autofree char *ca_dir = NULL, *cert = NULL, *key = NULL, *command = NULL, *checksums = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print one JSON object", NULL },
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
  if (!px_cli_parse ("transfer", "copy FROM TO | stat PFN | rm PFN | rename FROM TO | checksum PFN",
                     "Run one transfer-backend operation on PFNs (file paths, file://, gsiftp://, ftp://, http(s)://, "
                     "dav(s)://, null://), with the backend the download agent would use.\n"
                     "Exit status: 0 ok, 1 permanent or checksum error, 2 usage, 3 transient error (worth retrying).",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  const char *op = argc > 1 ? argv[1] : "";
  int want = g_str_equal (op, "copy") || g_str_equal (op, "rename") ? 2
             : g_str_equal (op, "stat") || g_str_equal (op, "rm") || g_str_equal (op, "checksum") ? 1 : -1;
  if (want < 0 || argc != want + 2 || streams < 1 || tcp_buffer < 0 || timeout < 0)
    {
      px_cli_error ("transfer", "%s\nTry 'phedex transfer -h' for usage.",
                    want < 0 ? "name an operation: copy, stat, rm, rename or checksum"
                             : argc != want + 2 ? "wrong number of PFNs for this operation"
                                                : "--streams must be at least 1; --tcp-buffer and --timeout not negative");
      return PX_EXIT_USAGE;
    }
  g_auto(GStrv) cmdv = NULL;
  if (command)
    {
      g_autoptr(GError) pe = NULL;
      if (!g_shell_parse_argv (command, NULL, &cmdv, &pe))
        {
          px_cli_error ("transfer", "--command: %s", pe->message);
          return PX_EXIT_USAGE;
        }
    }
  guint algos = PX_CHECKSUM_ADLER32;
  if (checksums && strcmp (checksums, "adler32,cksum") && strcmp (checksums, "cksum,adler32")
      && strcmp (checksums, "adler32"))
    {
      px_cli_error ("transfer", "--checksums must be adler32 or adler32,cksum");
      return PX_EXIT_USAGE;
    }
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
  g_autoptr(GString) o = g_string_new ("{\"ok\":true,\"operation\":");
  px_json_append_string (o, op);
  if (g_str_equal (op, "copy"))
    {
      const PxTransferBackend *be = px_transfer_backend_for_copy (a, b, &e);
      PxTransferRequest req = { a, b, 0, 1, is_cancelled, timeout, NULL, NULL };
      PxTransferResult res;
      px_transfer_result_init (&res);
      gint64 t0 = g_get_monotonic_time ();
      if (!be || !be->copy (&req, &res, &e))
        {
          fail (op, json, e, res.log->str);
          px_transfer_result_clear (&res);
          return exit_for (e);
        }
      double secs = (g_get_monotonic_time () - t0) / 1e6;
      g_autofree char *sum = res.have_checksum ? px_checksum_format (&res.checksum) : NULL;
      if (json)
        {
          g_string_append (o, ",\"backend\":");
          px_json_append_string (o, be->name);
          g_string_append_printf (o, ",\"bytes\":%" G_GUINT64_FORMAT ",\"seconds\":%.6f,\"checksum\":", res.bytes, secs);
          px_json_append_string (o, sum);
          g_string_append (o, ",\"checksum_source\":");
          px_json_append_string (o, res.have_checksum ? res.checksum_source : NULL);
          g_string_append (o, ",\"log\":");
          px_json_append_string (o, res.log->str);
          g_string_append (o, "}\n");
          fputs (o->str, stdout);
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
      return PX_EXIT_OK;
    }
  const PxTransferBackend *be = px_transfer_backend_for (g_str_equal (op, "rename") ? b : a, &e);
  if (g_str_equal (op, "stat"))
    {
      guint64 bytes = 0;
      if (!be || !be->stat (a, &bytes, &e))
        return fail (op, json, e, NULL), exit_for (e);
      if (json)
        g_string_append_printf (o, ",\"bytes\":%" G_GUINT64_FORMAT "}\n", bytes), fputs (o->str, stdout);
      else
        printf ("%" G_GUINT64_FORMAT "\t%s\n", bytes, a);
    }
  else if (g_str_equal (op, "checksum"))
    {
      PxChecksum sum;
      const char *how = "read-back";
      if (!be || !be->checksum (a, &sum, &how, &e))
        return fail (op, json, e, NULL), exit_for (e);
      g_autofree char *s = px_checksum_format (&sum);
      if (json)
        {
          g_string_append_printf (o, ",\"bytes\":%" G_GUINT64_FORMAT ",\"checksum\":", sum.bytes);
          px_json_append_string (o, s);
          g_string_append (o, ",\"checksum_source\":");
          px_json_append_string (o, how);
          g_string_append (o, "}\n");
          fputs (o->str, stdout);
        }
      else
        printf ("%s\t%s\t(%s)\n", s, a, how);
    }
  else
    {
      gboolean ok = be && (g_str_equal (op, "rm") ? be->remove (a, &e) : be->rename (a, b, &e));
      if (!ok)
        return fail (op, json, e, NULL), exit_for (e);
      if (json)
        g_string_append (o, "}\n"), fputs (o->str, stdout);
    }
  return PX_EXIT_OK;
}
