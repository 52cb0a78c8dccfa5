/* xml-read.c — see xml-read.h. */
#include "config.h"
#include "xml-read.h"
#include "common/px-common.h"
#include <limits.h>

typedef struct
{
  char *message;
  int line;
} FirstError;

static void
keep_first_error (void *data, xmlErrorPtr e)
{
  FirstError *first = ((xmlParserCtxt *) data)->_private;
  if (!first->message && e->level >= XML_ERR_ERROR)
    {
      first->message = g_strchomp (g_strdup_printf ("not well-formed XML: %s", e->message ? e->message : "cannot parse"));
      first->line = e->line;
    }
}

static void
refuse_entity (void *data, const xmlChar *name, int type, const xmlChar *public_id, const xmlChar *system_id,
               xmlChar *content)
{
  (void) type, (void) public_id, (void) system_id, (void) content;
  xmlParserCtxt *ctxt = data;
  FirstError *first = ctxt->_private;
  g_free (first->message); /* an error before it was only its consequence */
  first->message = g_strdup_printf ("entity declarations are not allowed (<!ENTITY %s>)", (const char *) name);
  first->line = ctxt->input ? ctxt->input->line : 0;
  ctxt->wellFormed = 0;
  xmlStopParser (ctxt);
}

xmlDoc *
px_xml_read (const char *path, const char *data, gsize size, const char *name, gboolean huge, GQuark domain,
             int code, GError **error)
{
  g_autofree char *contents = NULL;
  if (path)
    {
      g_autoptr(GError) local = NULL;
      if (!g_file_get_contents (path, &contents, &size, &local))
        {
          g_set_error (error, domain, code, "cannot read '%s': %s", path,
                       local->code == G_FILE_ERROR_NOENT ? "no such file" : local->message);
          return NULL;
        }
      data = contents;
    }
  if (size > INT_MAX)
    {
      g_set_error (error, domain, code, "%s: larger than 2 GB", name);
      return NULL;
    }
  g_autoptr(xmlParserCtxt) ctxt = xmlNewParserCtxt ();
  if (!ctxt)
    g_error ("out of memory");
  FirstError first = { NULL, 0 };
  ctxt->_private = &first;
  ctxt->sax->serror = keep_first_error;
  ctxt->sax->entityDecl = refuse_entity;
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | (huge ? XML_PARSE_HUGE : 0);
  xmlDoc *doc = xmlCtxtReadMemory (ctxt, data, (int) size, name, NULL, options);
  g_autofree char *message = first.message;
  if (doc && message) /* stopped at an entity declaration, after a tree was made */
    g_clear_pointer (&doc, xmlFreeDoc);
  if (!doc)
    g_set_error (error, domain, code, "%s:%d: %s", name, first.line, message ? message : "not well-formed XML");
  return doc;
}
