/* xml-read.h — reading the XML that others write (injection files, job
 * reports, POOL catalogues) one safe way: no network, no entity
 * declarations (an <!ENTITY> can expand a few bytes to gigabytes, the
 * "billion laughs"; none of these formats needs one), and the first error
 * libxml2 met, with its line (the last one is often only a consequence). */
#pragma once

#include <glib.h>
#include <libxml/parser.h>

/* Read the file PATH, or else SIZE bytes of DATA; NAME stands for the input
 * in messages.  HUGE lifts libxml2's size limits (very large injections).
 * On failure: NULL and ERROR (DOMAIN, CODE) "NAME:LINE: not well-formed XML:
 * ...", "NAME:LINE: entity declarations are not allowed (<!ENTITY x>)" or
 * "cannot read 'PATH': ...". */
xmlDoc *px_xml_read (const char *path, const char *data, gsize size, const char *name, gboolean huge, GQuark domain,
                     int code, GError **error);
