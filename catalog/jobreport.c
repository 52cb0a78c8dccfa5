/* jobreport.c — CMSSW FrameworkJobReport XML into records (see jobreport.h). */
#include "config.h"
#include "jobreport.h"
#include "xml-read.h"
#include "common/px-common.h"
#include "common/px-checksum.h"
#include <limits.h>
#include <string.h>

G_DEFINE_QUARK (px-jobreport-error-quark, px_jobreport_error)

const char *const px_jobreport_default_unmerged_bases[] = {
  "/store/unmerged/", "/store/backfill/*/unmerged/", "/store/temp/*/unmerged/", NULL
};

struct _PxJobReport
{
  char *name;
  GStringChunk *strings;
  GArray *outputs; /* PxJobReportFile */
  GArray *inputs;  /* PxJobReportInput */
  GPtrArray *lists; /* the outputs' input lists (char **), owned */
  char *failure, *job_type;
};

void
px_jobreport_free (PxJobReport *r)
{
  if (!r)
    return;
  g_free (r->name);
  g_string_chunk_free (r->strings);
  g_array_unref (r->outputs);
  g_array_unref (r->inputs);
  g_ptr_array_unref (r->lists);
  g_free (r->failure);
  g_free (r->job_type);
  g_free (r);
}

const char *px_jobreport_name (const PxJobReport *r) { return r->name; }
const char *px_jobreport_failure (const PxJobReport *r) { return r->failure; }
const char *px_jobreport_job_type (const PxJobReport *r) { return r->job_type; }
guint px_jobreport_n_outputs (const PxJobReport *r) { return r->outputs->len; }
guint px_jobreport_n_inputs (const PxJobReport *r) { return r->inputs->len; }

const PxJobReportFile *
px_jobreport_output (const PxJobReport *r, guint i)
{
  g_return_val_if_fail (i < r->outputs->len, NULL);
  return &g_array_index (r->outputs, PxJobReportFile, i);
}

const PxJobReportInput *
px_jobreport_input (const PxJobReport *r, guint i)
{
  g_return_val_if_fail (i < r->inputs->len, NULL);
  return &g_array_index (r->inputs, PxJobReportInput, i);
}

static gboolean
is (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

/* The element's text, trimmed, kept in R's strings ("" when empty). */
static const char *
text (PxJobReport *r, xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  g_autofree char *s = g_strstrip (g_strdup (c ? (const char *) c : ""));
  xmlFree (c);
  return g_string_chunk_insert_const (r->strings, s);
}

static char *
prop (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetProp (n, (const xmlChar *) name);
  char *s = v ? g_strstrip (g_strdup ((const char *) v)) : NULL;
  xmlFree (v);
  return s;
}

static gboolean
invalid (GError **error, const char *name, xmlNode *n, const char *fmt, ...) G_GNUC_PRINTF (4, 5);
static gboolean
invalid (GError **error, const char *name, xmlNode *n, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *m = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PX_JOBREPORT_ERROR, PX_JOBREPORT_ERROR_INVALID, "%s:%d: %s", name, (int) xmlGetLineNo (n), m);
  return FALSE;
}

/* A whole number of at most 18 digits. */
static gboolean
number (const char *s, guint64 *out)
{
  if (!*s || strspn (s, "0123456789") != strlen (s) || strlen (s) > 18)
    return FALSE;
  *out = g_ascii_strtoull (s, NULL, 10);
  return TRUE;
}

/* <Checksum Algorithm="adler32|cksum">V</Checksum>: into *ADLER (8
 * lowercase hex digits) or *CKSUM (decimal). */
static gboolean
parse_checksum (PxJobReport *r, xmlNode *c, char **adler, char **cksum, GError **error)
{
  g_autofree char *algo = prop (c, "Algorithm");
  const char *v = text (r, c);
  guint64 n;
  if (algo && g_ascii_strcasecmp (algo, "adler32") == 0)
    {
      gsize len = strlen (v);
      if (len == 0 || len > 8 || strspn (v, "0123456789abcdefABCDEF") != len)
        return invalid (error, r->name, c, "adler32 checksum '%s' is not 1 to 8 hex digits", v);
      g_free (*adler);
      *adler = g_strdup_printf ("%08x", (guint) g_ascii_strtoull (v, NULL, 16));
      return TRUE;
    }
  /* ProdAgent's first form: a bare <Checksum> is the cksum */
  if (!algo || g_ascii_strcasecmp (algo, "cksum") == 0)
    {
      if (!number (v, &n) || n > G_MAXUINT32)
        return invalid (error, r->name, c, "cksum checksum '%s' is not a 32-bit number", v);
      g_free (*cksum);
      *cksum = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
      return TRUE;
    }
  return invalid (error, r->name, c, "checksum algorithm '%s' is neither adler32 nor cksum", algo);
}

static gboolean
parse_datasets (PxJobReport *r, xmlNode *ds, PxJobReportFile *f, GError **error)
{
  for (xmlNode *info = ds->children; info; info = info->next)
    {
      if (!is (info, "DatasetInfo"))
        continue;
      const char *primary = NULL, *processed = NULL, *tier = NULL;
      for (xmlNode *e = info->children; e; e = e->next)
        {
          if (!is (e, "Entry"))
            continue;
          g_autofree char *name = prop (e, "Name");
          if (!name)
            continue;
          if (strcmp (name, "PrimaryDataset") == 0)
            primary = text (r, e);
          else if (strcmp (name, "ProcessedDataset") == 0)
            processed = text (r, e);
          else if (strcmp (name, "DataTier") == 0)
            tier = text (r, e);
        }
      if (!primary && !processed && !tier)
        continue;
      if (!primary || !*primary || !processed || !*processed || !tier || !*tier || strchr (primary, '/')
          || strchr (processed, '/') || strchr (tier, '/'))
        return invalid (error, r->name, info, "<DatasetInfo> needs PrimaryDataset, ProcessedDataset and DataTier "
                        "entries without '/'");
      g_autofree char *d = g_strdup_printf ("/%s/%s/%s", primary, processed, tier);
      if (f->dataset && strcmp (f->dataset, d) != 0)
        return invalid (error, r->name, info, "<File> names two datasets: %s and %s", f->dataset, d);
      f->dataset = g_string_chunk_insert_const (r->strings, d);
    }
  return TRUE;
}

static void
parse_runs (xmlNode *runs, guint *nrun, guint *nlumi)
{
  for (xmlNode *run = runs->children; run; run = run->next)
    if (is (run, "Run"))
      {
        ++*nrun;
        for (xmlNode *l = run->children; l; l = l->next)
          if (is (l, "LumiSection"))
            ++*nlumi;
      }
}

static gboolean
parse_output (PxJobReport *r, xmlNode *n, GError **error)
{
  PxJobReportFile f = { .lfn = "", .pfn = "", .guid = "", .module = "", .output_class = "", .data_type = "",
                        .branch_hash = "", .events = -1, .line = (int) xmlGetLineNo (n) };
  g_autofree char *adler = NULL, *cksum = NULL;
  GPtrArray *inputs = g_ptr_array_new ();
  for (xmlNode *c = n->children; c; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      const char *t = (const char *) c->name;
      guint64 v;
      if (strcmp (t, "LFN") == 0)
        f.lfn = text (r, c);
      else if (strcmp (t, "PFN") == 0)
        f.pfn = text (r, c);
      else if (strcmp (t, "GUID") == 0)
        f.guid = text (r, c);
      else if (strcmp (t, "ModuleLabel") == 0)
        f.module = text (r, c);
      else if (strcmp (t, "OutputModuleClass") == 0)
        f.output_class = text (r, c);
      else if (strcmp (t, "DataType") == 0)
        f.data_type = text (r, c);
      else if (strcmp (t, "BranchHash") == 0)
        f.branch_hash = text (r, c);
      else if (strcmp (t, "TotalEvents") == 0)
        {
          const char *s = text (r, c);
          if (!number (s, &v))
            {
              g_ptr_array_unref (inputs);
              return invalid (error, r->name, c, "<TotalEvents> '%s' is not a number of events", s);
            }
          f.events = (gint64) v;
        }
      else if (strcmp (t, "Size") == 0)
        {
          const char *s = text (r, c);
          if (!number (s, &v))
            {
              g_ptr_array_unref (inputs);
              return invalid (error, r->name, c, "<Size> '%s' is not a size in bytes", s);
            }
          f.have_bytes = TRUE;
          f.bytes = v;
        }
      else if (strcmp (t, "Checksum") == 0 || strcmp (t, "Checksums") == 0)
        {
          for (xmlNode *k = strcmp (t, "Checksum") == 0 ? c : c->children; k; k = k == c ? NULL : k->next)
            if (is (k, "Checksum") && !parse_checksum (r, k, &adler, &cksum, error))
              {
                g_ptr_array_unref (inputs);
                return FALSE;
              }
        }
      else if (strcmp (t, "Datasets") == 0)
        {
          if (!parse_datasets (r, c, &f, error))
            {
              g_ptr_array_unref (inputs);
              return FALSE;
            }
        }
      else if (strcmp (t, "Runs") == 0)
        parse_runs (c, &f.runs, &f.lumis);
      else if (strcmp (t, "Inputs") == 0)
        for (xmlNode *in = c->children; in; in = in->next)
          if (is (in, "Input"))
            for (xmlNode *l = in->children; l; l = l->next)
              if (is (l, "LFN"))
                g_ptr_array_add (inputs, (gpointer) text (r, l));
    }
  if (adler || cksum)
    {
      g_autofree char *c = g_strdup_printf ("%s%s%s%s%s", adler ? "adler32:" : "", adler ? adler : "",
                                            adler && cksum ? "," : "", cksum ? "cksum:" : "", cksum ? cksum : "");
      f.checksum = g_string_chunk_insert_const (r->strings, c);
    }
  g_ptr_array_add (inputs, NULL);
  f.inputs = (const char *const *) inputs->pdata;
  g_ptr_array_add (r->lists, g_ptr_array_free (inputs, FALSE));
  g_array_append_val (r->outputs, f);
  return TRUE;
}

static void
parse_input (PxJobReport *r, xmlNode *n)
{
  PxJobReportInput in = { .lfn = "", .pfn = "", .guid = "", .type = PX_JOBREPORT_OTHER, .source_class = "",
                          .line = (int) xmlGetLineNo (n) };
  for (xmlNode *c = n->children; c; c = c->next)
    {
      if (is (c, "LFN"))
        in.lfn = text (r, c);
      else if (is (c, "PFN"))
        in.pfn = text (r, c);
      else if (is (c, "GUID"))
        in.guid = text (r, c);
      else if (is (c, "InputSourceClass"))
        in.source_class = text (r, c);
      else if (is (c, "InputType"))
        {
          const char *t = text (r, c);
          in.type = strcmp (t, "primaryFiles") == 0     ? PX_JOBREPORT_PRIMARY
                    : strcmp (t, "secondaryFiles") == 0 ? PX_JOBREPORT_SECONDARY
                    : strcmp (t, "mixingFiles") == 0    ? PX_JOBREPORT_MIXING
                                                        : PX_JOBREPORT_OTHER;
        }
    }
  g_array_append_val (r->inputs, in);
}

static gboolean
parse_doc (PxJobReport *r, xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  if (!root || !is (root, "FrameworkJobReport"))
    {
      g_set_error (error, PX_JOBREPORT_ERROR, PX_JOBREPORT_ERROR_INVALID,
                   "%s: root element must be <FrameworkJobReport>, not <%s>", r->name,
                   root ? (const char *) root->name : "");
      return FALSE;
    }
  g_autofree char *status = prop (root, "Status");
  r->job_type = prop (root, "JobType");
  g_autoptr(GString) why = g_string_new (NULL);
  for (xmlNode *n = root->children; n; n = n->next)
    {
      if (is (n, "File"))
        {
          if (!parse_output (r, n, error))
            return FALSE;
        }
      else if (is (n, "InputFile"))
        parse_input (r, n);
      else if (is (n, "FrameworkError"))
        {
          g_autofree char *st = prop (n, "ExitStatus");
          g_autofree char *ty = prop (n, "Type");
          if (!why->len)
            g_string_printf (why, "FrameworkError ExitStatus=%s Type=%s", st ? st : "?", ty ? ty : "?");
        }
      else if (is (n, "ExitCode"))
        {
          g_autofree char *v = prop (n, "Value");
          const char *s = v ? v : text (r, n);
          guint64 code;
          if (!number (s, &code))
            return invalid (error, r->name, n, "<ExitCode> '%s' is not a number", s);
          if (code != 0 && !why->len)
            g_string_printf (why, "ExitCode %s", s);
        }
    }
  if (status && g_ascii_strcasecmp (status, "Success") != 0 && !why->len)
    g_string_printf (why, "Status %s", status);
  if (why->len)
    r->failure = g_string_free (g_steal_pointer (&why), FALSE);
  return TRUE;
}

static PxJobReport *
parse (const char *path, const char *data, gsize size, const char *name, GError **error)
{
  g_autoptr(xmlDoc) doc = px_xml_read (path, data, size, name, TRUE, PX_JOBREPORT_ERROR, PX_JOBREPORT_ERROR_PARSE,
                                       error);
  if (!doc)
    return NULL;
  g_autoptr(PxJobReport) r = g_new0 (PxJobReport, 1);
  r->name = g_strdup (name);
  r->strings = g_string_chunk_new (4096);
  r->outputs = g_array_new (FALSE, FALSE, sizeof (PxJobReportFile));
  r->inputs = g_array_new (FALSE, FALSE, sizeof (PxJobReportInput));
  r->lists = g_ptr_array_new_with_free_func (g_free);
  if (!parse_doc (r, doc, error))
    return NULL;
  return g_steal_pointer (&r);
}

PxJobReport *
px_jobreport_parse_file (const char *path, GError **error)
{
  return parse (path, NULL, 0, path, error);
}

PxJobReport *
px_jobreport_parse_data (const char *data, gsize size, const char *name, GError **error)
{
  return parse (NULL, data, size, name, error);
}

char *
px_jobreport_lfn_dataset (const char *lfn)
{
  if (!g_str_has_prefix (lfn, "/store/"))
    return NULL;
  g_auto(GStrv) seg = g_strsplit (lfn + 1, "/", -1);
  guint n = g_strv_length (seg);
  /* store, at least one area segment, era, primary, tier, processed, counter, file */
  if (n < 8)
    return NULL;
  for (guint i = 0; i < n; i++)
    if (!*seg[i])
      return NULL;
  const char *era = seg[n - 6], *primary = seg[n - 5], *tier = seg[n - 4], *processed = seg[n - 3],
             *counter = seg[n - 2];
  if (strspn (counter, "0123456789") != strlen (counter) || strcmp (tier, "unmerged") == 0
      || strcmp (primary, "unmerged") == 0 || strcmp (era, "unmerged") == 0)
    return NULL;
  return g_strdup_printf ("/%s/%s-%s/%s", primary, era, processed, tier);
}

gboolean
px_jobreport_under_bases (const char *lfn, const char *const *bases)
{
  for (; bases && *bases; bases++)
    {
      const char *b = *bases, *l = lfn;
      gboolean ok = **bases == '/';
      while (*b && ok)
        {
          if (b[0] == '*' && (b[1] == '/' || !b[1]))
            {
              /* one non-empty segment */
              const char *slash = strchr (l, '/');
              if (!slash || slash == l)
                ok = FALSE;
              else
                l = slash;
              b++;
            }
          else if (*b == *l)
            b++, l++;
          else
            ok = FALSE;
        }
      /* a base without a trailing slash still ends at a segment boundary */
      if (ok && (b[-1] == '/' || *l == '/') && *l)
        return TRUE;
    }
  return FALSE;
}
