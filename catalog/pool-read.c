/* pool-read.c — a POOL XML file catalogue into (GUID, PFNs, LFNs) records
 * (see pool.h).  The writer is pool.c. */
#include "config.h"
#include "pool.h"
#include "xml-read.h"
#include "common/px-common.h"
#include <limits.h>
#include <string.h>

G_DEFINE_QUARK (px-pool-error-quark, px_pool_error)

void
px_pool_file_free (PxPoolFile *file)
{
  if (!file)
    return;
  g_free (file->guid);
  g_strfreev (file->pfns);
  g_strfreev (file->lfns);
  g_free (file);
}

static gboolean
is (xmlNode *n, const char *name)
{
  return strcmp ((const char *) n->name, name) == 0;
}

static gboolean
unexpected (xmlNode *n, const char *file, const char *want, GError **error)
{
  g_set_error (error, PX_POOL_ERROR, PX_POOL_ERROR_INVALID, "%s:%d: expected %s, found <%s>", file,
               (int) xmlGetLineNo (n), want, (const char *) n->name);
  return FALSE;
}

/* The non-empty attribute ATTR of N, or an error naming it. */
static char *
need (xmlNode *n, const char *file, const char *attr, GError **error)
{
  xmlChar *v = xmlGetProp (n, BAD_CAST attr);
  char *s = v && *v ? g_strdup ((const char *) v) : NULL;
  xmlFree (v);
  if (!s)
    g_set_error (error, PX_POOL_ERROR, PX_POOL_ERROR_INVALID, "%s:%d: <%s> needs a %s attribute", file,
                 (int) xmlGetLineNo (n), (const char *) n->name, attr);
  return s;
}

/* The name= of every ITEM element under LIST (<physical><pfn>, <logical><lfn>). */
static gboolean
names (xmlNode *list, const char *item, const char *file, GPtrArray *out, GError **error)
{
  for (xmlNode *n = list->children; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE)
        continue;
      if (!is (n, item))
        {
          g_autofree char *want = g_strdup_printf ("<%s>", item);
          return unexpected (n, file, want, error);
        }
      char *name = need (n, file, "name", error);
      if (!name)
        return FALSE;
      g_ptr_array_add (out, name);
    }
  return TRUE;
}

static PxPoolFile *
parse_file (xmlNode *f, const char *file, GError **error)
{
  g_autofree char *guid = need (f, file, "ID", error);
  if (!guid)
    return NULL;
  g_autoptr(GPtrArray) pfns = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) lfns = g_ptr_array_new_with_free_func (g_free);
  for (xmlNode *n = f->children; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE || is (n, "metadata"))
        continue;
      if (is (n, "physical") ? !names (n, "pfn", file, pfns, error)
          : is (n, "logical") ? !names (n, "lfn", file, lfns, error)
          : !unexpected (n, file, "<physical>, <logical> or <metadata>", error))
        return NULL;
    }
  PxPoolFile *r = g_new0 (PxPoolFile, 1);
  r->guid = g_steal_pointer (&guid);
  g_ptr_array_add (pfns, NULL);
  r->pfns = (char **) g_ptr_array_steal (pfns, NULL);
  g_ptr_array_add (lfns, NULL);
  r->lfns = (char **) g_ptr_array_steal (lfns, NULL);
  return r;
}

static GPtrArray *
parse_doc (xmlDoc *doc, const char *file, GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  if (!root || !is (root, "POOLFILECATALOG"))
    {
      g_set_error (error, PX_POOL_ERROR, PX_POOL_ERROR_INVALID, "%s: root element must be <POOLFILECATALOG>, not <%s>",
                   file, root ? (const char *) root->name : "");
      return NULL;
    }
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) px_pool_file_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (xmlNode *n = root->children; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE || is (n, "META"))
        continue;
      if (!is (n, "File"))
        {
          unexpected (n, file, "<File>", error);
          return NULL;
        }
      PxPoolFile *f = parse_file (n, file, error);
      if (!f)
        return NULL;
      g_ptr_array_add (files, f);
      if (!g_hash_table_add (seen, f->guid))
        {
          g_set_error (error, PX_POOL_ERROR, PX_POOL_ERROR_INVALID, "%s:%d: File ID '%s' appears twice", file,
                       (int) xmlGetLineNo (n), f->guid);
          return NULL;
        }
    }
  return g_steal_pointer (&files);
}

GPtrArray *
px_pool_parse (const char *data, gsize size, const char *name, GError **error)
{
  g_autoptr(xmlDoc) doc = px_xml_read (NULL, data, size, name, FALSE, PX_POOL_ERROR, PX_POOL_ERROR_PARSE, error);
  return doc ? parse_doc (doc, name, error) : NULL;
}

GPtrArray *
px_pool_parse_file (const char *path, GError **error)
{
  g_autoptr(xmlDoc) doc = px_xml_read (path, NULL, 0, path, FALSE, PX_POOL_ERROR, PX_POOL_ERROR_PARSE, error);
  return doc ? parse_doc (doc, path, error) : NULL;
}
