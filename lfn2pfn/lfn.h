/* lfn.h — what a logical file name may be before it is mapped to a PFN.
 *
 * px_lfn_validate() refuses names that must never reach storage: a '..' path
 * segment (a name must not climb out of the namespace the catalogue maps),
 * a NUL or control character (U+0001..U+001F, U+007F: they break logs,
 * command lines and the wire protocols), and names longer than
 * PX_LFN_MAX_LEN bytes.  It does not require a /store prefix: that is the
 * catalogue's business. */
#pragma once

#include <glib.h>

#define PX_LFN_ERROR (px_lfn_error_quark ())
GQuark px_lfn_error_quark (void);
typedef enum
{
  PX_LFN_ERROR_INVALID, /* the name is not an acceptable LFN */
} PxLfnError;

/* Longest LFN accepted, in bytes (PATH_MAX on Linux; CMS LFNs are < 500). */
#define PX_LFN_MAX_LEN 4096

/* LEN is the length of LFN in bytes, or -1 when LFN is NUL-terminated (a
 * length lets a caller holding decoded input catch an embedded NUL). */
gboolean px_lfn_validate (const char *lfn, gssize len, GError **error);
