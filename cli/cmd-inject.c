/* phedex inject --node NODE FILE.xml — register files already present at
 * NODE, from the PhEDEx injection format:
 *   <data version="2.0"><dbs name=".."><dataset name=".." is-open="y|n">
 *     <block name=".." is-open="y|n"><file name="LFN" bytes="N" checksum="adler32:..,cksum:.."/>
 * Everything is checked first (XML, sizes, checksums, files present at the
 * node, conflicts with the catalogue) and applied in one transaction: bad
 * input changes nothing. */
#include "cli.h"
#include "lfn2pfn/tfc.h"
#include "transfer/transfer.h"
#include "common/px-checksum.h"
#include <string.h>
#include <unistd.h>

/* Progress on a terminal (stderr), at most five updates a second: a million
 * files take a while to check and load. */
static void
progress (const char *phase, guint done, guint total)
{
  static gint64 last;
  static int tty = -1;
  if (tty < 0)
    tty = isatty (STDERR_FILENO);
  gint64 now = g_get_monotonic_time ();
  if (!tty || (done < total && now - last < 200000))
    return;
  last = now;
  if (total)
    fprintf (stderr, "\rphedex inject: %s %u/%u files (%.0f%%)\033[K", phase, done, total, 100.0 * done / total);
  else
    fprintf (stderr, "\rphedex inject: %s\033[K", phase);
  if (done == total && total)
    fputc ('\n', stderr);
}

static void
progress_end (void)
{
  if (isatty (STDERR_FILENO))
    fputs ("\r\033[K", stderr);
}

typedef struct
{
  GString *copy;   /* COPY rows */
  guint files;
  GPtrArray *lfns; /* for the presence check */
  GArray *sizes;
} Input;

static char *
prop (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  char *s = v ? g_strdup ((const char *) v) : NULL;
  xmlFree (v);
  return s;
}

static gboolean
parse_open (xmlNode *n, const char *file, gboolean *open, GError **error)
{
  g_autofree char *v = prop (n, "is-open");
  if (!v || strcmp (v, "y") == 0 || strcmp (v, "n") == 0)
    {
      *open = !v || strcmp (v, "y") == 0;
      return TRUE;
    }
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "%s:%d: is-open must be 'y' or 'n', not '%s'",
               file, (int) xmlGetLineNo (n), v);
  return FALSE;
}

static gboolean
need (xmlNode *n, const char *file, const char *attr, char **out, GError **error)
{
  *out = prop (n, attr);
  if (*out && **out)
    return TRUE;
  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_MISSING_ATTRIBUTE, "%s:%d: <%s> needs a %s attribute", file,
               (int) xmlGetLineNo (n), (const char *) n->name, attr);
  return FALSE;
}

static gboolean
parse_input (const char *file, Input *in, GError **error)
{
  g_autoptr(xmlParserCtxt) ctxt = xmlNewParserCtxt ();
  g_autoptr(xmlDoc) doc = xmlCtxtReadFile (ctxt, file, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_HUGE);
  if (!doc)
    {
      const xmlError *e = xmlCtxtGetLastError (ctxt);
      g_autofree char *m = g_strchomp (g_strdup (e && e->message ? e->message : "cannot read"));
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_PARSE, "%s:%d: %s", file, e ? e->line : 0, m);
      return FALSE;
    }
  xmlNode *root = xmlDocGetRootElement (doc);
  if (!root || strcmp ((const char *) root->name, "data") != 0)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "%s: root element must be <data>", file);
      return FALSE;
    }
  for (xmlNode *dbs = root->children; dbs; dbs = dbs->next)
    {
      if (dbs->type != XML_ELEMENT_NODE)
        continue;
      g_autofree char *dbs_name = NULL;
      if (strcmp ((const char *) dbs->name, "dbs") != 0 || !need (dbs, file, "name", &dbs_name, error))
        {
          if (error && !*error)
            g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT, "%s:%d: expected <dbs>, found <%s>",
                         file, (int) xmlGetLineNo (dbs), (const char *) dbs->name);
          return FALSE;
        }
      for (xmlNode *ds = dbs->children; ds; ds = ds->next)
        {
          if (ds->type != XML_ELEMENT_NODE)
            continue;
          g_autofree char *ds_name = NULL;
          gboolean ds_open;
          if (strcmp ((const char *) ds->name, "dataset") != 0)
            {
              g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT, "%s:%d: expected <dataset>, found <%s>",
                           file, (int) xmlGetLineNo (ds), (const char *) ds->name);
              return FALSE;
            }
          if (!need (ds, file, "name", &ds_name, error) || !parse_open (ds, file, &ds_open, error))
            return FALSE;
          for (xmlNode *bl = ds->children; bl; bl = bl->next)
            {
              if (bl->type != XML_ELEMENT_NODE)
                continue;
              g_autofree char *bl_name = NULL;
              gboolean bl_open;
              if (strcmp ((const char *) bl->name, "block") != 0)
                {
                  g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT,
                               "%s:%d: expected <block>, found <%s>", file, (int) xmlGetLineNo (bl), (const char *) bl->name);
                  return FALSE;
                }
              if (!need (bl, file, "name", &bl_name, error) || !parse_open (bl, file, &bl_open, error))
                return FALSE;
              for (xmlNode *f = bl->children; f; f = f->next)
                {
                  if (f->type != XML_ELEMENT_NODE)
                    continue;
                  int line = (int) xmlGetLineNo (f);
                  g_autofree char *lfn = NULL, *bytes = NULL, *ck = NULL, *why = NULL;
                  if (strcmp ((const char *) f->name, "file") != 0)
                    {
                      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_UNKNOWN_ELEMENT,
                                   "%s:%d: expected <file>, found <%s>", file, line, (const char *) f->name);
                      return FALSE;
                    }
                  if (!need (f, file, "name", &lfn, error) || !need (f, file, "bytes", &bytes, error)
                      || !need (f, file, "checksum", &ck, error))
                    return FALSE;
                  if (lfn[0] != '/')
                    {
                      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                                   "%s:%d: LFN '%s' must start with /", file, line, lfn);
                      return FALSE;
                    }
                  if (strspn (bytes, "0123456789") != strlen (bytes) || strlen (bytes) > 18)
                    {
                      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                                   "%s:%d: bytes='%s' of '%s' is not a size in bytes", file, line, bytes, lfn);
                      return FALSE;
                    }
                  g_autofree char *norm = px_checksum_normalise (ck, &why);
                  if (!norm)
                    {
                      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "%s:%d: checksum of '%s': %s",
                                   file, line, lfn, why);
                      return FALSE;
                    }
                  const char *fields[] = { ds_name, ds_open ? "t" : "f", dbs_name, bl_name, bl_open ? "t" : "f", lfn,
                                           bytes, norm };
                  for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
                    {
                      if (k)
                        g_string_append_c (in->copy, '\t');
                      px_tmdb_copy_field (in->copy, fields[k]);
                    }
                  g_string_append_c (in->copy, '\n');
                  g_ptr_array_add (in->lfns, g_steal_pointer (&lfn));
                  guint64 sz = g_ascii_strtoull (bytes, NULL, 10);
                  g_array_append_val (in->sizes, sz);
                  in->files++;
                }
            }
        }
    }
  if (in->files == 0)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT, "%s: no <file> to inject", file);
      return FALSE;
    }
  return TRUE;
}

/* Every file must be at the node with its size: checked through the node's
 * catalogue with its first local protocol. */
static gboolean
check_present (const char *node, const char *tfc_text, const char *tfc_path, const Input *in, GError **error)
{
  g_autoptr(PxTfc) tfc = tfc_path ? px_tfc_load_file (tfc_path, error)
                                  : px_tfc_load_data (tfc_text, strlen (tfc_text), "storage.xml (TMDB)", error);
  if (!tfc)
    return FALSE;
  static const char *const local[] = { "direct", "file" };
  const char *proto = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (local) && !proto; i++)
    if (px_tfc_has_protocol (tfc, PX_TFC_LFN_TO_PFN, local[i]))
      proto = local[i];
  if (!proto)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "the storage.xml of %s has no 'direct' or 'file' rules to find the files with; use --no-check "
                   "to inject without checking", node);
      return FALSE;
    }
  g_autoptr(PxTfcMapper) m = px_tfc_mapper_new (tfc, PX_TFC_LFN_TO_PFN, proto, node, FALSE, error);
  g_autoptr(GString) pfn = g_string_new (NULL);
  g_autoptr(GString) bad = g_string_new (NULL);
  guint nbad = 0;
  for (guint i = 0; i < in->lfns->len; i++)
    {
      const char *lfn = g_ptr_array_index (in->lfns, i);
      g_autoptr(GError) e = NULL;
      guint64 size = 0;
      const PxTransferBackend *be = NULL;
      if (px_tfc_mapper_map (m, lfn, pfn, NULL, NULL) != PX_TFC_MATCH)
        e = g_error_new (PX_TFC_ERROR, PX_TFC_ERROR_NO_MATCH, "no %s rule maps it", proto);
      else if ((be = px_transfer_backend_for (pfn->str, &e)) && be->stat (pfn->str, &size, &e)
               && size != g_array_index (in->sizes, guint64, i))
        e = g_error_new (PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' has %" G_GUINT64_FORMAT
                         " bytes, the injection says %" G_GUINT64_FORMAT, pfn->str, size,
                         g_array_index (in->sizes, guint64, i));
      if (e && ++nbad <= 5)
        g_string_append_printf (bad, "\n  %s: %s", lfn, e->message);
      progress ("checking", i + 1, in->lfns->len);
    }
  if (nbad)
    {
      g_set_error (error, G_MARKUP_ERROR, G_MARKUP_ERROR_INVALID_CONTENT,
                   "%u of %u files are not present at %s as described:%s%s", nbad, in->lfns->len, node, bad->str,
                   nbad > 5 ? "\n  ..." : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
report_rows (PxTmdb *tmdb, const char *stmt, const char *what, GError **error)
{
  g_autoptr(PxRows) r = px_tmdb_exec (tmdb, stmt, 0, NULL, error);
  if (!r)
    return FALSE;
  if (px_rows_count (r) == 0)
    return TRUE;
  g_autoptr(GString) s = g_string_new (what);
  for (guint i = 0; i < px_rows_count (r); i++)
    {
      g_string_append (s, "\n  ");
      if (strcmp (stmt, "inject_conflicts") == 0)
        g_string_append_printf (s, "%s: catalogue has %s bytes, %s in block %s; input has %s bytes, %s in block %s",
                                px_rows_get (r, i, 0), px_rows_get (r, i, 1), px_rows_get (r, i, 2),
                                px_rows_get (r, i, 5), px_rows_get (r, i, 3), px_rows_get (r, i, 4),
                                px_rows_get (r, i, 6));
      else if (strcmp (stmt, "inject_block_conflicts") == 0)
        g_string_append_printf (s, "block %s belongs to dataset %s, not %s", px_rows_get (r, i, 0),
                                px_rows_get (r, i, 1), px_rows_get (r, i, 2));
      else
        g_string_append (s, px_rows_get (r, i, 0));
    }
  g_set_error_literal (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED, s->str);
  return FALSE;
}

/* Returns PX_EXIT_OK, or PX_EXIT_FAILURE with ERROR set (or the message
 * already printed when ERROR is left NULL). */
static int
inject (const char *db, const char *node, const char *tfc, gboolean no_check, gboolean json, const char *file,
        Input *in, GError **error)
{
  if (!parse_input (file, in, error))
    return PX_EXIT_FAILURE;
  g_autoptr(PxTmdb) tmdb = px_cli_connect ("inject", db, FALSE);
  if (!tmdb)
    return PX_EXIT_FAILURE;
  g_autoptr(PxRows) nid = px_tmdb_run (tmdb, "node_id", error, node);
  if (!nid)
    return PX_EXIT_FAILURE;
  if (px_rows_count (nid) == 0)
    {
      g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED, "unknown node '%s' (see 'phedex node list')", node);
      return PX_EXIT_FAILURE;
    }
  if (!no_check)
    {
      g_autofree char *arr = g_strdup_printf ("{%s}", px_rows_get (nid, 0, 0));
      g_autoptr(PxRows) t = px_tmdb_run (tmdb, "node_tfcs", error, arr);
      if (!t)
        return PX_EXIT_FAILURE;
      if (!tfc && !px_rows_get (t, 0, 2))
        {
          g_set_error (error, PX_TMDB_ERROR, PX_TMDB_ERROR_FAILED,
                       "node %s has no storage.xml in the TMDB yet to find the files with: start its agents, or pass "
                       "--tfc FILE (or --no-check)", node);
          return PX_EXIT_FAILURE;
        }
      if (!check_present (node, px_rows_get (t, 0, 2), tfc, in, error))
        return PX_EXIT_FAILURE;
    }
  progress ("loading into the TMDB and checking for conflicts...", 0, 0);
  if (!px_tmdb_begin (tmdb, error)
      || !px_tmdb_exec_sql (tmdb, "CREATE TEMP TABLE px_inject (dataset text, dataset_open boolean, dbs text, "
                                  "block text, block_open boolean, lfn text, bytes bigint, checksum text)", error)
      || !px_tmdb_copy_in (tmdb, "COPY px_inject FROM STDIN", in->copy, error)
      || !report_rows (tmdb, "inject_duplicates", "the input names these files more than once:", error)
      || !report_rows (tmdb, "inject_conflicts", "these files are already in the catalogue with other attributes:", error)
      || !report_rows (tmdb, "inject_block_conflicts", "blocks already in another dataset:", error))
    {
      px_tmdb_rollback (tmdb);
      return PX_EXIT_FAILURE;
    }
  progress ("applying...", 0, 0);
  g_autoptr(PxRows) applied = px_tmdb_exec (tmdb, "inject_apply", 0, NULL, error);
  g_autoptr(PxRows) reps = applied ? px_tmdb_run (tmdb, "inject_replicas", error, px_rows_get (nid, 0, 0)) : NULL;
  g_autoptr(PxRows) counts = reps ? px_tmdb_exec (tmdb, "inject_block_counts", 0, NULL, error) : NULL;
  if (!counts || !px_tmdb_commit (tmdb, error))
    {
      px_tmdb_rollback (tmdb);
      return PX_EXIT_FAILURE;
    }
  progress_end ();
  g_autofree char *b = px_cli_bytes (px_rows_get_int (applied, 0, 1));
  if (json)
    printf ("{\"node\": \"%s\", \"files_in_input\": %u, \"new_files\": %s, \"new_bytes\": %s, \"blocks\": %s, "
            "\"new_replicas\": %s}\n", node, in->files, px_rows_get (applied, 0, 0), px_rows_get (applied, 0, 1),
            px_rows_get (applied, 0, 2), px_rows_get (reps, 0, 0));
  else
    printf ("injected %s new files (%s) in %s blocks at %s; %s new replicas (%u files in input)\n",
            px_rows_get (applied, 0, 0), b, px_rows_get (applied, 0, 2), node, px_rows_get (reps, 0, 0), in->files);
  return PX_EXIT_OK;
}

int
px_cmd_inject (int argc, char **argv)
{
  g_autofree char *db = NULL, *node = NULL, *tfc = NULL;
  gboolean no_check = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    PX_CLI_DB_ENTRY (db),
    { "node", 'n', 0, G_OPTION_ARG_STRING, &node, "the node where the files are (required)", "NODE" },
    { "tfc", 0, 0, G_OPTION_ARG_FILENAME, &tfc, "the node's storage.xml (default: the one its agents uploaded)", "FILE" },
    { "no-check", 0, 0, G_OPTION_ARG_NONE, &no_check, "do not check that the files are present at the node", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  if (!px_cli_parse ("inject", "FILE.xml", "Register files present at NODE (PhEDEx injection XML). All or nothing.",
                     entries, &argc, &argv))
    return PX_EXIT_USAGE;
  if (!node || argc != 2)
    {
      px_cli_error ("inject", "--node and one FILE.xml are required\nTry 'phedex inject -h' for usage.");
      return PX_EXIT_USAGE;
    }
  g_autoptr(GError) error = NULL;
  Input in = { g_string_new (NULL), 0, g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (guint64)) };
  int status = inject (db, node, tfc, no_check, json, argv[1], &in, &error);
  if (status != PX_EXIT_OK)
    progress_end ();
  if (status != PX_EXIT_OK && error)
    px_cli_error ("inject", "%s; nothing injected", error->message);
  g_string_free (in.copy, TRUE);
  g_ptr_array_unref (in.lfns);
  g_array_unref (in.sizes);
  return status;
}
