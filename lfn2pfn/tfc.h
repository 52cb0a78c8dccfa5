/* tfc.h — the CMS trivial file catalogue (storage.xml): LFN→PFN and PFN→LFN.
 *
 * Load a catalogue once (every regex compiled and JIT-compiled), then make a
 * mapper per (direction, protocol, destination, custodial) query and map many
 * names through it.  A loaded PxTfc is immutable and may be shared by threads;
 * a PxTfcMapper holds per-thread scratch and must not be shared.
 *
 * Semantics are PhEDEx's (PHEDEX::Core::Catalogue::applyStorageRules):
 * - rules of the query's protocol are tried in file order; the first that
 *   applies wins;
 * - destination-match is an unanchored regex on the destination node; a query
 *   without destination is not filtered by it;
 * - is-custodial="y|n" must equal the query's flag (queries are non-custodial
 *   unless they say otherwise); absent = either;
 * - lfn-to-pfn: the chain protocol is applied first and the rule's path-match
 *   to its result; a rule whose chain yields nothing is skipped (the next
 *   rule is tried);
 * - pfn-to-lfn: the rule's path-match first, then its chain; once the
 *   path-match matched, the chain's answer is final: when the chain yields
 *   nothing, the name does not map (no further rule is tried);
 * - the rewrite is Perl's s!path-match!result!: only the matched part is
 *   replaced, text around an unanchored match is kept; $N / ${N} are groups;
 * - space-token is sticky through a chain.  lfn-to-pfn: the rule's own token
 *   wins over its chain's; pfn-to-lfn: the chain's token wins over the
 *   rule's.  As in PhEDEx, an lfn-to-pfn chain's token stays for the next
 *   rules of the same protocol when the rule then does not match, and a
 *   chain that yields nothing clears it.
 *
 * Loading is as lenient as PhEDEx's: only a file that is not well-formed XML
 * or whose root is not <storage-mapping> is refused.  Everything else is a
 * warning (px_tfc_get_warnings): unknown elements and attributes, and rules
 * without protocol, are ignored; a rule that cannot work (invalid regex,
 * missing path-match or result, $N beyond the groups, is-custodial other than
 * y/n, a chain to a protocol without rules of the direction, an empty chain,
 * a chain loop, a chain deeper than PX_TFC_MAX_CHAIN) loads "broken", and a
 * query that reaches it fails with PX_TFC_ERROR_RULE naming file, line and
 * rule.  An invalid destination-match fails only queries with a destination.
 */
#pragma once

#include <glib.h>

typedef enum
{
  PX_TFC_LFN_TO_PFN = 0,
  PX_TFC_PFN_TO_LFN = 1,
} PxTfcDirection;

typedef enum
{
  PX_TFC_MATCH = 0,
  PX_TFC_NO_MATCH,      /* no rule of the protocol applied to the name */
  PX_TFC_FAILED,        /* the error says why: a broken rule, an invalid LFN */
} PxTfcResult;

#define PX_TFC_ERROR (px_tfc_error_quark ())
GQuark px_tfc_error_quark (void);
typedef enum
{
  PX_TFC_ERROR_READ,      /* the file could not be read */
  PX_TFC_ERROR_XML,       /* not well-formed XML */
  PX_TFC_ERROR_INVALID,   /* well-formed but not a catalogue (root element) */
  PX_TFC_ERROR_PROTOCOL,  /* the query names a protocol without rules */
  PX_TFC_ERROR_NO_MATCH,  /* px_tfc_map_one: no rule matched */
  PX_TFC_ERROR_RULE,      /* the query reached a rule that cannot work */
} PxTfcError;

/* Longest chain (protocol → chain → chain ...) a rule may have; a rule
 * chaining deeper is broken. */
#define PX_TFC_MAX_CHAIN 8

typedef struct _PxTfc PxTfc;
typedef struct _PxTfcMapper PxTfcMapper;

PxTfc *px_tfc_load_file (const char *path, GError **error);
/* NAME is used in error messages in place of a file name. */
PxTfc *px_tfc_load_data (const char *data, gsize len, const char *name, GError **error);
void px_tfc_free (PxTfc *tfc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTfc, px_tfc_free)

/* The catalogue's text as loaded (e.g. to upload it to the TMDB). */
const char *px_tfc_get_source_text (const PxTfc *tfc);
/* What loading ignored or found broken, one message (char*) each, naming
 * file, line and rule; empty for a clean catalogue.  Show them once to
 * whoever maintains the catalogue. */
const GPtrArray *px_tfc_get_warnings (const PxTfc *tfc);
/* Protocols that have rules in DIRECTION, in order of first appearance. */
GPtrArray *px_tfc_list_protocols (const PxTfc *tfc, PxTfcDirection direction);
gboolean px_tfc_has_protocol (const PxTfc *tfc, PxTfcDirection direction, const char *protocol);
/* Which protocol a site uses for its files — the one definition every agent
 * and command goes by: the first of PROTOCOLS (the site's [site] protocols,
 * in order of preference) that TFC has lfn-to-pfn rules for and, for a
 * copy, that OTHER (the far side's catalogue; NULL: none) has too.  NULL
 * with PX_TFC_ERROR_PROTOCOL naming the list when there is none. */
const char *px_tfc_pick_protocol (const PxTfc *tfc, const PxTfc *other, const char *const *protocols,
                                  GError **error);

/* DESTINATION may be NULL (not filtered).  Fails with PX_TFC_ERROR_PROTOCOL when
 * the catalogue has no rule for PROTOCOL in DIRECTION. */
PxTfcMapper *px_tfc_mapper_new (const PxTfc *tfc, PxTfcDirection direction, const char *protocol,
                                const char *destination, gboolean custodial, GError **error);
void px_tfc_mapper_free (PxTfcMapper *mapper);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxTfcMapper, px_tfc_mapper_free)

/* Map NAME; on PX_TFC_MATCH, OUT holds the result (it is reset first) and
 * *SPACE_TOKEN (if not NULL) the space token or NULL; the token points into
 * the catalogue and lives as long as it.  PX_TFC_FAILED sets ERROR: an
 * lfn-to-pfn NAME that px_lfn_validate() refuses (PX_LFN_ERROR), or a broken
 * rule reached (PX_TFC_ERROR_RULE).  PX_TFC_NO_MATCH sets no error. */
PxTfcResult px_tfc_mapper_map (PxTfcMapper *mapper, const char *name, GString *out,
                               const char **space_token, GError **error);

/* One-off convenience: a new string, or NULL with PX_TFC_ERROR_PROTOCOL,
 * PX_TFC_ERROR_NO_MATCH or what px_tfc_mapper_map() fails with. */
char *px_tfc_map_one (const PxTfc *tfc, PxTfcDirection direction, const char *protocol,
                      const char *destination, gboolean custodial, const char *name,
                      char **space_token, GError **error);

const char *px_tfc_direction_name (PxTfcDirection direction);
