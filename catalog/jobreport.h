/* jobreport.h — CMSSW FrameworkJobReport XML, as production jobs leave it
 * behind, read without a database (`phedex handoff` takes it over).
 *
 * Two forms are read:
 *   - cmsRun's (`cmsRun -j FrameworkJobReport.xml`): <FrameworkJobReport>
 *     with <InputFile> (<LFN>, <PFN>, <GUID>, <InputType> primaryFiles |
 *     secondaryFiles | mixingFiles, <InputSourceClass>), <File> outputs
 *     (<LFN> — may be empty —, <PFN>, <GUID>, <ModuleLabel>,
 *     <OutputModuleClass>, <TotalEvents>, <DataType>, <BranchHash>,
 *     <Runs><Run ID><LumiSection ID/>, <Inputs><Input><LFN>) and
 *     <FrameworkError ExitStatus Type> for failures.  No size, checksum or
 *     dataset for outputs.
 *   - ProdAgent's older one: the same plus a root Status= and JobType=,
 *     <ExitCode Value=>, and per <File> <Size>, <Checksum Algorithm=
 *     "adler32|cksum"> (also inside <Checksums>) and <Datasets><DatasetInfo>
 *     <Entry Name="PrimaryDataset|ProcessedDataset|DataTier">.
 * Everything else (PerformanceReport, ReadBranches, GeneratorInfo,
 * StorageStatistics, SkippedFile, ...) is ignored.  A report that is not
 * well-formed is refused with its name, line and the parser's message. */
#pragma once

#include <glib.h>

#define PX_JOBREPORT_ERROR (px_jobreport_error_quark ())
GQuark px_jobreport_error_quark (void);
typedef enum
{
  PX_JOBREPORT_ERROR_PARSE,   /* unreadable or not well-formed XML (truncated) */
  PX_JOBREPORT_ERROR_INVALID, /* well-formed, but not a job report we can take */
} PxJobReportErrorCode;

typedef enum
{
  PX_JOBREPORT_PRIMARY,   /* primaryFiles: what the job processed (merge parents) */
  PX_JOBREPORT_SECONDARY, /* secondaryFiles: parents read alongside */
  PX_JOBREPORT_MIXING,    /* mixingFiles: pileup */
  PX_JOBREPORT_OTHER,     /* no or another <InputType> */
} PxJobReportInputType;

typedef struct
{
  const char *lfn, *pfn, *guid;     /* "" when absent */
  PxJobReportInputType type;
  const char *source_class;         /* <InputSourceClass>, "" when absent */
  int line;
} PxJobReportInput;

typedef struct
{
  const char *lfn;        /* "" when the report has none (cmsRun may leave it empty) */
  const char *pfn, *guid, *module, *output_class, *data_type, *branch_hash; /* "" when absent */
  const char *dataset;    /* from <Datasets> (ProdAgent), or NULL */
  gint64 events;          /* <TotalEvents>, -1 when absent */
  gboolean have_bytes;    /* <Size> given (ProdAgent) */
  guint64 bytes;
  const char *checksum;   /* canonical "adler32:..,cksum:.." / "cksum:N" from the report, or NULL */
  guint runs, lumis;      /* how many <Run> and <LumiSection> */
  const char *const *inputs; /* <Inputs><Input><LFN>, NULL-terminated */
  int line;               /* of <File>, for messages */
} PxJobReportFile;

typedef struct _PxJobReport PxJobReport;

PxJobReport *px_jobreport_parse_file (const char *path, GError **error);
/* The same from SIZE bytes of DATA; NAME stands for the file in messages. */
PxJobReport *px_jobreport_parse_data (const char *data, gsize size, const char *name, GError **error);
void px_jobreport_free (PxJobReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PxJobReport, px_jobreport_free)

const char *px_jobreport_name (const PxJobReport *report);
/* NULL for a successful job; else why it failed ("FrameworkError
 * ExitStatus=8001 Type=CMSException", "ExitCode 60307", "Status Failed"). */
const char *px_jobreport_failure (const PxJobReport *report);
/* Root JobType= (ProdAgent), or NULL. */
const char *px_jobreport_job_type (const PxJobReport *report);

guint px_jobreport_n_outputs (const PxJobReport *report);
const PxJobReportFile *px_jobreport_output (const PxJobReport *report, guint i);
guint px_jobreport_n_inputs (const PxJobReport *report);
const PxJobReportInput *px_jobreport_input (const PxJobReport *report, guint i);

/* The dataset of LFN by the CMS convention
 *   /store/<area...>/<ERA>/<PRIMARY>/<TIER>/<PROCESSED>/<counter>/<file>
 *   -> /PRIMARY/ERA-PROCESSED/TIER
 * (the area may be several segments: backfill/2, temp/WMAgent/unmerged).
 * NULL when LFN does not follow it. */
char *px_jobreport_lfn_dataset (const char *lfn);
/* TRUE when LFN lies under one of BASES (each "/store/unmerged/"-like; a
 * base matches at a segment boundary). */
gboolean px_jobreport_under_bases (const char *lfn, const char *const *bases);
/* The unmerged bases production uses, NULL-terminated (the default of
 * [handoff] unmerged-bases). */
extern const char *const px_jobreport_default_unmerged_bases[];
