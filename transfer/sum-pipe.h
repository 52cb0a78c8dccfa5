/* sum-pipe.h — checksumming on a second core: bytes go into one of a few
 * buffers that a worker thread folds into a PxChecksum in order, so moving
 * the bytes and checksumming them overlap instead of taking turns. */
#pragma once

#include "common/px-checksum.h"

typedef struct _PxSumPipe PxSumPipe;

PxSumPipe *px_sum_pipe_start (PxChecksum *sum);
/* Copy DATA in (a receive or send callback's bytes). */
void px_sum_pipe_feed (PxSumPipe *p, const guint8 *data, gsize len);
/* Zero-copy: room for *CAP bytes to read into, then commit the LEN bytes
 * read.  A full buffer goes to the worker: use its bytes (write them out)
 * before asking for the next buffer. */
guint8 *px_sum_pipe_buffer (PxSumPipe *p, gsize *cap);
void px_sum_pipe_commit (PxSumPipe *p, gsize len);
/* Wait until every byte given is in the checksum. */
void px_sum_pipe_drain (PxSumPipe *p);
/* Drain, stop the worker and free P. */
void px_sum_pipe_finish (PxSumPipe *p);
