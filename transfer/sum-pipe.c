#include "config.h"
#include "sum-pipe.h"
#include <string.h>

/* The callbacks copy each chunk into one of a few buffers that a worker
 * thread folds into the PxChecksum, so receiving (or sending) and
 * checksumming overlap instead of taking turns on one core. */

#define SUM_CHUNK (1u << 20)
#define SUM_BUFFERS 4

typedef struct
{
  guint8 *data; /* NULL: the worker's signal to stop */
  gsize len;
} SumChunk;

struct _PxSumPipe
{
  PxChecksum *sum;
  GThread *worker;
  GAsyncQueue *todo;  /* SumChunk* to fold in, in order */
  GAsyncQueue *spare; /* SumChunk* free to fill */
  SumChunk *filling;  /* taken from spare, not yet queued */
  SumChunk chunks[SUM_BUFFERS];
};

static gpointer
sum_worker (gpointer data)
{
  PxSumPipe *p = data;
  for (SumChunk *c; (c = g_async_queue_pop (p->todo))->data;)
    {
      px_checksum_update (p->sum, c->data, c->len);
      c->len = 0;
      g_async_queue_push (p->spare, c);
    }
  return NULL;
}

PxSumPipe *
px_sum_pipe_start (PxChecksum *sum)
{
  PxSumPipe *p = g_new0 (PxSumPipe, 1);
  p->sum = sum;
  p->todo = g_async_queue_new ();
  p->spare = g_async_queue_new ();
  for (int i = 0; i < SUM_BUFFERS; i++)
    {
      p->chunks[i].data = g_malloc (SUM_CHUNK);
      g_async_queue_push (p->spare, &p->chunks[i]);
    }
  p->worker = g_thread_new ("px-checksum", sum_worker, p);
  return p;
}

void
px_sum_pipe_feed (PxSumPipe *p, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      if (!p->filling)
        p->filling = g_async_queue_pop (p->spare);
      gsize n = MIN (len, SUM_CHUNK - p->filling->len);
      memcpy (p->filling->data + p->filling->len, data, n);
      p->filling->len += n;
      data += n;
      len -= n;
      if (p->filling->len == SUM_CHUNK)
        g_async_queue_push (p->todo, g_steal_pointer (&p->filling));
    }
}

/* Wait until every byte fed is in the checksum (all buffers back in spare). */
void
px_sum_pipe_drain (PxSumPipe *p)
{
  if (p->filling) /* never empty: taken only to copy bytes into */
    g_async_queue_push (p->todo, g_steal_pointer (&p->filling));
  SumChunk *all[SUM_BUFFERS];
  for (int i = 0; i < SUM_BUFFERS; i++)
    all[i] = g_async_queue_pop (p->spare);
  for (int i = 0; i < SUM_BUFFERS; i++)
    g_async_queue_push (p->spare, all[i]);
}

/* Drain, stop the worker and free P. */
void
px_sum_pipe_finish (PxSumPipe *p)
{
  px_sum_pipe_drain (p);
  SumChunk stop = { NULL, 0 };
  g_async_queue_push (p->todo, &stop);
  g_thread_join (p->worker);
  for (int i = 0; i < SUM_BUFFERS; i++)
    g_free (p->chunks[i].data);
  g_async_queue_unref (p->todo);
  g_async_queue_unref (p->spare);
  g_free (p);
}

guint8 *
px_sum_pipe_buffer (PxSumPipe *p, gsize *cap)
{
  if (!p->filling)
    p->filling = g_async_queue_pop (p->spare);
  *cap = SUM_CHUNK - p->filling->len;
  return p->filling->data + p->filling->len;
}

void
px_sum_pipe_commit (PxSumPipe *p, gsize len)
{
  p->filling->len += len;
  if (p->filling->len == SUM_CHUNK)
    g_async_queue_push (p->todo, g_steal_pointer (&p->filling));
}
