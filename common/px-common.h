/* px-common.h — what every phedex module includes: GLib, autocleanups for
 * foreign types, and small shared helpers (JSON strings, logging). */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/* Autocleanups for the foreign types we own (libpq's are in tmdb/, the only
 * place that may include libpq-fe.h). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)

static inline void px_fclose (FILE *f) { if (f) fclose (f); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FILE, px_fclose)

/* Exit codes shared by every program: 0 ok, 1 failure, 2 usage. */
enum { PX_EXIT_OK = 0, PX_EXIT_FAILURE = 1, PX_EXIT_USAGE = 2 };

/* ---- JSON output (scripts read --json) ---- */
/* Append S as a JSON string literal (with quotes) to OUT; NULL gives null. */
void px_json_append_string (GString *out, const char *s);

/* ---- logging ---- */
/* Route g_log output to stderr as one line per event:
 * "2026-11-23T10:00:00.123Z IDENT level: message". IDENT is e.g. "download@T1_CH_CERN". */
void px_log_init (const char *ident);
void px_log_set_ident (const char *ident);
void px_log_set_debug (gboolean on);
