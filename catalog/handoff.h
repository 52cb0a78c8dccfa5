/* handoff.h — production hand-off: one CMSSW job report at a node into the
 * TMDB, in one transaction (`phedex handoff`).
 *
 * A successful report's merged outputs (outside the unmerged bases) are read
 * once on the node's storage (LFN -> PFN through its storage.xml) for their
 * size, adler32 and cksum; values the report carries must match.  Then they
 * are injected (catalog/inject-load.c, with their GUIDs) into the open
 * hand-off block of their dataset at the node, and the merge relation
 * (merged file <- its primary inputs under an unmerged base) is recorded.
 * Unmerged outputs are recorded as unmerged files.  A failed report
 * injects nothing: its unmerged outputs are recorded as failed-job output
 * and its primary unmerged inputs are held.  A report handed in again (same
 * bytes, or outputs identical to the catalogue) changes nothing. */
#pragma once

#include <glib.h>
#include "tmdb/tmdb.h"
#include "lfn2pfn/tfc.h"

#define PX_HANDOFF_ERROR (px_handoff_error_quark ())
GQuark px_handoff_error_quark (void);
typedef enum
{
  PX_HANDOFF_ERROR_REJECTED, /* malformed, not verifiable, or a dataset that cannot be told: nothing written */
  PX_HANDOFF_ERROR_CONFLICT, /* an output LFN is in the catalogue with another GUID, size or checksum */
} PxHandoffErrorCode;

typedef enum
{
  PX_HANDOFF_INJECTED,   /* new merged files, or new unmerged records */
  PX_HANDOFF_DUPLICATE,  /* handed off before: nothing changed */
  PX_HANDOFF_FAILED_JOB, /* the job failed: its inputs are held */
  PX_HANDOFF_NOTHING,    /* a successful report without outputs to take over */
} PxHandoffOutcome;

typedef struct
{
  int node_id;
  const char *node;
  const PxTfc *tfc;                   /* the node's storage.xml */
  const char *const *unmerged_bases;  /* px_jobreport_under_bases */
  const char *dataset;                /* for outputs whose report names none (--dataset), or NULL */
} PxHandoff;

typedef struct
{
  PxHandoffOutcome outcome;
  guint merged_files;     /* new merged files injected */
  gint64 merged_bytes;
  guint unmerged_files;   /* new unmerged files recorded */
  guint merge_parents;    /* new merge relations */
  guint held;             /* new holds (failed job) */
  guint blocks_closed;    /* hand-off blocks at the node closed by a limit */
  guint subscribed;       /* dataset subscriptions made by policies (phedex policy) */
  guint skipped_no_lfn;   /* outputs without an LFN (local only) */
  char *note;             /* for a duplicate: since when; for a failed job: why */
} PxHandoffResult;

void px_handoff_result_clear (PxHandoffResult *result);

/* Hand off the report at PATH (see above).  Database errors are the TMDB's
 * (PX_TMDB_ERROR_RETRY: try the report again). */
gboolean px_handoff_report (PxTmdb *db, const PxHandoff *h, const char *path, PxHandoffResult *result,
                            GError **error);
