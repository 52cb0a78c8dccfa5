/* inject.c — the PhEDEx injection XML into file records (see inject.h).
 * The messages are the ones `phedex inject` has always printed. */
#include "config.h"
#include "lfn2pfn/lfn.h"
#include "inject.h"
#include "xml-read.h"
#include "common/px-common.h"
#include "common/px-checksum.h"
#include <limits.h>
#include <string.h>

G_DEFINE_QUARK (px-inject-error-quark, px_inject_error)

struct _PxInject
{
  GStringChunk *strings; /* every name, shared by the records */
  GArray *files;         /* PxInjectFile */
};

void
px_inject_free (PxInject *inject)
{
  if (!inject)
    return;
  g_string_chunk_free (inject->strings);
  g_array_unref (inject->files);
  g_free (inject);
}

static PxInject *
inject_new (void)
{
  PxInject *in = g_new0 (PxInject, 1);
  in->strings = g_string_chunk_new (4096);
  in->files = g_array_new (FALSE, FALSE, sizeof (PxInjectFile));
  return in;
}

PxInject *
px_inject_new (void)
{
  return inject_new ();
}

void
px_inject_add (PxInject *in, const PxInjectFile *f)
{
  PxInjectFile c = *f;
  c.dbs = g_string_chunk_insert_const (in->strings, f->dbs ? f->dbs : "");
  c.dataset = g_string_chunk_insert_const (in->strings, f->dataset);
  c.block = g_string_chunk_insert_const (in->strings, f->block);
  c.lfn = g_string_chunk_insert (in->strings, f->lfn);
  c.checksum = g_string_chunk_insert_const (in->strings, f->checksum);
  c.guid = f->guid ? g_string_chunk_insert (in->strings, f->guid) : NULL;
  g_array_append_val (in->files, c);
}

guint
px_inject_count (const PxInject *inject)
{
  return inject->files->len;
}

const PxInjectFile *
px_inject_file (const PxInject *inject, guint i)
{
  g_return_val_if_fail (i < inject->files->len, NULL);
  return &g_array_index (inject->files, PxInjectFile, i);
}

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
  g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: is-open must be 'y' or 'n', not '%s'", file,
               (int) xmlGetLineNo (n), v);
  return FALSE;
}

static gboolean
need (xmlNode *n, const char *file, const char *attr, char **out, GError **error)
{
  *out = prop (n, attr);
  if (*out && **out)
    return TRUE;
  /* PhEDEx's documentation of 2011 wrote <file lfn= size=>, which PhEDEx
   * itself never accepted: say what to write instead. */
  const char *old = strcmp (attr, "name") == 0 ? "lfn" : strcmp (attr, "bytes") == 0 ? "size" : NULL;
  xmlChar *has_old = old && strcmp ((const char *) n->name, "file") == 0 ? xmlGetProp (n, BAD_CAST old) : NULL;
  if (has_old)
    g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID,
                 "%s:%d: <file> needs a %s attribute (lfn= and size= are the old 2011 form: write name= and "
                 "bytes=)", file, (int) xmlGetLineNo (n), attr);
  else
    g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: <%s> needs a %s attribute", file,
                 (int) xmlGetLineNo (n), (const char *) n->name, attr);
  xmlFree (has_old);
  return FALSE;
}

static gboolean
unexpected (xmlNode *n, const char *file, const char *want, GError **error)
{
  g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: expected <%s>, found <%s>", file,
               (int) xmlGetLineNo (n), want, (const char *) n->name);
  return FALSE;
}

static gboolean
is (xmlNode *n, const char *name)
{
  return strcmp ((const char *) n->name, name) == 0;
}

/* One <file> of a block whose other fields REC already holds. */
static gboolean
parse_file (PxInject *in, xmlNode *f, const char *file, PxInjectFile *rec, GError **error)
{
  int line = (int) xmlGetLineNo (f);
  g_autofree char *lfn = NULL, *bytes = NULL, *ck = NULL, *why = NULL;
  if (!is (f, "file"))
    return unexpected (f, file, "file", error);
  if (!need (f, file, "name", &lfn, error) || !need (f, file, "bytes", &bytes, error)
      || !need (f, file, "checksum", &ck, error))
    return FALSE;
  if (lfn[0] != '/')
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: LFN '%s' must start with /", file, line,
                   lfn);
      return FALSE;
    }
  g_autoptr(GError) bad = NULL;
  if (!px_lfn_validate (lfn, -1, &bad))
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: %s", file, line, bad->message);
      return FALSE;
    }
  if (strspn (bytes, "0123456789") != strlen (bytes) || strlen (bytes) > 18)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: bytes='%s' of '%s' is not a size in bytes",
                   file, line, bytes, lfn);
      return FALSE;
    }
  g_autofree char *norm = px_checksum_normalise (ck, &why);
  if (!norm)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s:%d: checksum of '%s': %s", file, line, lfn,
                   why);
      return FALSE;
    }
  rec->lfn = g_string_chunk_insert (in->strings, lfn);
  rec->bytes = g_ascii_strtoull (bytes, NULL, 10);
  rec->checksum = g_string_chunk_insert (in->strings, norm);
  g_array_append_val (in->files, *rec);
  return TRUE;
}

static gboolean
parse_doc (PxInject *in, xmlDoc *doc, const char *file, GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  if (!root || !is (root, "data"))
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s: root element must be <data>", file);
      return FALSE;
    }
  for (xmlNode *dbs = root->children; dbs; dbs = dbs->next)
    {
      if (dbs->type != XML_ELEMENT_NODE)
        continue;
      g_autofree char *dbs_name = NULL;
      if (!is (dbs, "dbs"))
        return unexpected (dbs, file, "dbs", error);
      if (!need (dbs, file, "name", &dbs_name, error))
        return FALSE;
      PxInjectFile rec = { .dbs = g_string_chunk_insert_const (in->strings, dbs_name) };
      for (xmlNode *ds = dbs->children; ds; ds = ds->next)
        {
          if (ds->type != XML_ELEMENT_NODE)
            continue;
          g_autofree char *ds_name = NULL;
          if (!is (ds, "dataset"))
            return unexpected (ds, file, "dataset", error);
          if (!need (ds, file, "name", &ds_name, error) || !parse_open (ds, file, &rec.dataset_open, error))
            return FALSE;
          rec.dataset = g_string_chunk_insert_const (in->strings, ds_name);
          for (xmlNode *bl = ds->children; bl; bl = bl->next)
            {
              if (bl->type != XML_ELEMENT_NODE)
                continue;
              g_autofree char *bl_name = NULL;
              if (!is (bl, "block"))
                return unexpected (bl, file, "block", error);
              if (!need (bl, file, "name", &bl_name, error) || !parse_open (bl, file, &rec.block_open, error))
                return FALSE;
              rec.block = g_string_chunk_insert_const (in->strings, bl_name);
              for (xmlNode *f = bl->children; f; f = f->next)
                if (f->type == XML_ELEMENT_NODE && !parse_file (in, f, file, &rec, error))
                  return FALSE;
            }
        }
    }
  if (in->files->len == 0)
    {
      g_set_error (error, PX_INJECT_ERROR, PX_INJECT_ERROR_INVALID, "%s: no <file> to inject", file);
      return FALSE;
    }
  return TRUE;
}

static PxInject *
parse (const char *path, const char *data, gsize size, const char *name, GError **error)
{
  /* Injections can be huge: libxml2's size limits lifted, entities refused. */
  g_autoptr(xmlDoc) doc = px_xml_read (path, data, size, name, TRUE, PX_INJECT_ERROR, PX_INJECT_ERROR_PARSE, error);
  if (!doc)
    return NULL;
  g_autoptr(PxInject) in = inject_new ();
  if (!parse_doc (in, doc, name, error))
    return NULL;
  return g_steal_pointer (&in);
}

PxInject *
px_inject_parse_file (const char *path, GError **error)
{
  return parse (path, NULL, 0, path, error);
}

PxInject *
px_inject_parse_data (const char *data, gsize size, const char *name, GError **error)
{
  return parse (NULL, data, size, name, error);
}
