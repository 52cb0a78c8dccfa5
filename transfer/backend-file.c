/* backend-file.c — local POSIX files (file:// URLs and plain paths).
 *
 * A copy moves the bytes with copy_file_range, in pieces of 4 MiB (in the
 * kernel: no trip through userspace; a reflink or server-side copy where the
 * filesystem has one, as cp does).  A second thread reads the destination
 * back through the SIMD checksum, one piece behind the copy, each piece once
 * its writeback has completed (sync_file_range), and the file is flushed with
 * fdatasync before the copy counts as done: the checksum is of what the
 * destination file holds, read through the filesystem, not of what we meant
 * to write.  Where the kernel or the filesystem cannot copy (EXDEV, ENOSYS,
 * EOPNOTSUPP, EINVAL before the first byte), the bytes go through userspace
 * and are checksummed as they are written (px_transfer_stream_local), as are
 * the null backend's scripted streams. */
#include "config.h"
#include "sum-pipe.h"
#include "transfer-private.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int
px_transfer_errno_code (int err)
{
  switch (err)
    {
    case ENOENT: case EACCES: case EPERM: case EISDIR: case ENOTDIR: case EROFS: case ENAMETOOLONG:
      return PX_TRANSFER_ERROR_PERMANENT;
    default: /* ENOSPC, EDQUOT, EIO, EAGAIN, ... */
      return PX_TRANSFER_ERROR_TRANSIENT;
    }
}

static gboolean
fail_errno (GError **error, int err, const char *what, const char *path)
{
  const char *hint = err == ENOSPC || err == EDQUOT ? " (storage full: free space or raise the quota)" : "";
  g_set_error (error, PX_TRANSFER_ERROR, px_transfer_errno_code (err), "%s '%s': %s%s", what, path,
               g_strerror (err), hint);
  return FALSE;
}

static gboolean
write_all (int fd, const guint8 *p, gsize n, const char *path, GError **error)
{
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return fail_errno (error, errno, "cannot write", path);
      p += w;
      n -= (gsize) w;
    }
  return TRUE;
}

/* Stop between chunks when the agent drains or the timeout passed. */
static gboolean
interrupted (const PxTransferRequest *req, gint64 deadline, const char *dst, guint64 bytes, const char *doing,
             GError **error)
{
  if (req->cancelled && req->cancelled ())
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_CANCELLED, "copy to '%s' cancelled", dst);
      return TRUE;
    }
  if (deadline && g_get_monotonic_time () > deadline)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "copy to '%s' timed out after %.0f s with %" G_GUINT64_FORMAT " bytes %s", dst, req->timeout,
                   bytes, doing);
      return TRUE;
    }
  return FALSE;
}

static gint64
deadline_of (const PxTransferRequest *req)
{
  return req->timeout > 0 ? g_get_monotonic_time () + (gint64) (req->timeout * G_USEC_PER_SEC) : 0;
}

/* copy_file_range moves this much between two checks for cancellation and
 * the timeout, and the read-back follows one such piece behind. */
#define RANGE_CHUNK ((size_t) 4 << 20)

/* The read-back thread: checksums the destination up to where the kernel
 * has copied, each range once its writeback to storage has completed. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint64 copied;   /* bytes the kernel has copied into the destination */
  gboolean done;    /* the copy is over: read up to copied, then stop */
  gboolean stop;    /* give up now */
  int err;          /* errno of a failed read-back (0: none) */
  int fd;           /* the destination, open for writing (sync_file_range) */
  int rfd;          /* the destination, open for reading */
  PxChecksum *sum;
} ReadBack;

static gpointer
read_back_worker (gpointer data)
{
  ReadBack *rb = data;
  gsize cap = 1 << 20;
  g_autofree guint8 *buf = g_malloc (cap);
  guint64 at = 0;
  for (;;)
    {
      g_mutex_lock (&rb->lock);
      while (!rb->stop && !rb->done && rb->copied == at)
        g_cond_wait (&rb->cond, &rb->lock);
      guint64 until = MIN (rb->copied, at + RANGE_CHUNK); /* a stop waits for one piece at most */
      gboolean over = rb->stop || (rb->done && until == at);
      g_mutex_unlock (&rb->lock);
      if (over)
        break;
      /* Wait until this range has gone to storage, then read what the
       * file holds there. */
      int err = 0;
      if (sync_file_range (rb->fd, (off_t) at, (off_t) (until - at),
                           SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0
          && errno != ENOSYS && errno != ESPIPE && errno != EINVAL && errno != EOPNOTSUPP)
        err = errno;
      while (!err && at < until)
        {
          ssize_t n = pread (rb->rfd, buf, (size_t) MIN ((guint64) cap, until - at), (off_t) at);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            err = n < 0 ? errno : EIO; /* shorter than what was copied */
          else
            {
              px_checksum_update (rb->sum, buf, (gsize) n);
              at += (guint64) n;
            }
        }
      if (err)
        {
          g_mutex_lock (&rb->lock);
          rb->err = err;
          g_mutex_unlock (&rb->lock);
          break;
        }
    }
  return NULL;
}

/* Tell the read-back how far the copy got (DONE: that is all). */
static int
read_back_tell (ReadBack *rb, guint64 copied, gboolean done, gboolean stop)
{
  g_mutex_lock (&rb->lock);
  rb->copied = copied;
  rb->done |= done;
  rb->stop |= stop;
  int err = rb->err;
  g_cond_signal (&rb->cond);
  g_mutex_unlock (&rb->lock);
  return err;
}

typedef enum
{
  RANGE_DONE,
  RANGE_UNSUPPORTED, /* nothing written: copy through userspace instead */
  RANGE_FAILED,
} RangeOutcome;

/* Copy IN to OUT (DST) in the kernel while RB checksums what has arrived;
 * res->bytes: bytes copied. */
static RangeOutcome
copy_range (int in, int out, const char *dst, const PxTransferRequest *req, gint64 deadline, ReadBack *rb,
            PxTransferResult *res, GError **error)
{
  struct stat st;
  if (fstat (in, &st) < 0 || !S_ISREG (st.st_mode))
    return RANGE_UNSUPPORTED;
  res->bytes = 0;
  for (;;)
    {
      if (interrupted (req, deadline, dst, res->bytes, "written", error))
        return RANGE_FAILED;
      if (req->progress)
        req->progress (res->bytes, req->progress_data);
      ssize_t n = copy_file_range (in, NULL, out, NULL, RANGE_CHUNK, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && res->bytes == 0
          && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL || errno == EBADF))
        return RANGE_UNSUPPORTED;
      if (n < 0)
        {
          fail_errno (error, errno, "cannot copy to", dst);
          return RANGE_FAILED;
        }
      /* Some pseudo-filesystems report 0 bytes at once for a file that is
       * not empty (coreutils falls back to read/write there too). */
      if (n == 0 && res->bytes == 0 && st.st_size > 0)
        return RANGE_UNSUPPORTED;
      if (n == 0)
        return RANGE_DONE;
      res->bytes += (guint64) n;
      /* Start this range's writeback now; the read-back waits for it. */
      sync_file_range (out, (off_t) (res->bytes - (guint64) n), n, SYNC_FILE_RANGE_WRITE);
      int err = read_back_tell (rb, res->bytes, FALSE, FALSE);
      if (err)
        {
          fail_errno (error, err, "cannot read back", dst);
          return RANGE_FAILED;
        }
    }
}

/* The whole local copy (no scripted faults): the kernel copies, a thread
 * reads each copied range back through the checksum once it is on storage,
 * and the file is flushed (fdatasync) before the copy counts as done.
 * Through userspace instead when the kernel cannot copy. */
static gboolean
copy_local (const char *src, const char *dst, const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return fail_errno (error, errno, "cannot open source", src);
  g_autofree char *dir = g_path_get_dirname (dst);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    {
      int e = errno;
      close (in);
      return fail_errno (error, e, "cannot create directory", dir);
    }
  int out = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int rfd = out < 0 ? -1 : open (dst, O_RDONLY | O_CLOEXEC);
  if (out < 0 || rfd < 0)
    {
      int e = errno;
      close (in);
      if (out >= 0)
        {
          close (out);
          unlink (dst);
        }
      return fail_errno (error, e, "cannot create", dst);
    }
  gint64 deadline = deadline_of (req);
  px_transfer_checksum_init (&res->checksum);
  ReadBack rb = { .fd = out, .rfd = rfd, .sum = &res->checksum };
  g_mutex_init (&rb.lock);
  g_cond_init (&rb.cond);
  GThread *worker = g_thread_new ("px-read-back", read_back_worker, &rb);
  RangeOutcome how = copy_range (in, out, dst, req, deadline, &rb, res, error);
  read_back_tell (&rb, res->bytes, TRUE, how != RANGE_DONE);
  g_thread_join (worker);
  g_mutex_clear (&rb.lock);
  g_cond_clear (&rb.cond);
  close (in);
  close (rfd);
  gboolean ok = how == RANGE_DONE;
  if (ok && rb.err)
    ok = fail_errno (error, rb.err, "cannot read back", dst);
  if (ok && fdatasync (out) < 0)
    ok = fail_errno (error, errno, "cannot flush", dst);
  if (close (out) < 0 && ok)
    ok = fail_errno (error, errno, "cannot close", dst);
  if (how == RANGE_UNSUPPORTED)
    return px_transfer_stream_local (src, dst, req, NULL, res, error);
  if (ok && res->checksum.bytes != res->bytes)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT,
                   "'%s' reads back %" G_GUINT64_FORMAT " bytes after %" G_GUINT64_FORMAT " were copied", dst,
                   res->checksum.bytes, res->bytes);
      ok = FALSE;
    }
  if (!ok)
    {
      unlink (dst);
      return FALSE;
    }
  res->have_checksum = TRUE;
  res->checksum_source = "read-back";
  g_string_append_printf (res->log,
                          "copied %" G_GUINT64_FORMAT " bytes (copy_file_range; read back after writeback; fdatasync)",
                          res->bytes);
  return TRUE;
}

static void
fill_random (guint8 *buf, gsize n, guint64 *state)
{
  for (gsize i = 0; i < n; i++)
    {
      *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
      buf[i] = (guint8) (*state >> 56);
    }
}

gboolean
px_transfer_stream_local (const char *src, const char *dst, const PxTransferRequest *req,
                          const PxStreamFaults *faults, PxTransferResult *res, GError **error)
{
  int in = -1;
  gint64 gen_left = faults ? faults->generate : -1;
  guint64 rng = faults ? faults->seed * 2654435761ULL + 1 : 1;
  if (gen_left < 0)
    {
      in = open (src, O_RDONLY | O_CLOEXEC);
      if (in < 0)
        return fail_errno (error, errno, "cannot open source", src);
      posix_fadvise (in, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  g_autofree char *dir = g_path_get_dirname (dst);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    {
      int e = errno;
      if (in >= 0)
        close (in);
      return fail_errno (error, e, "cannot create directory", dir);
    }
  int out = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0)
    {
      int e = errno;
      if (in >= 0)
        close (in);
      return fail_errno (error, e, "cannot create", dst);
    }
  /* Read into the checksum pipe's buffers and write from them: a worker
   * thread checksums each full buffer while the next one is read and
   * written, so the copy and the checksum use both cores. */
  px_transfer_checksum_init (&res->checksum);
  PxSumPipe *pipe = px_sum_pipe_start (&res->checksum);
  res->bytes = 0;
  gboolean ok = TRUE;
  gboolean corrupted = FALSE;
  gint64 deadline = deadline_of (req);
  for (;;)
    {
      if (interrupted (req, deadline, dst, res->bytes, "written", error))
        {
          ok = FALSE;
          break;
        }
      if (req->progress)
        req->progress (res->bytes, req->progress_data);
      ssize_t n;
      guint8 *buf;
      gsize cap;
      if (in >= 0)
        {
          buf = px_sum_pipe_buffer (pipe, &cap);
          n = read (in, buf, cap);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              ok = fail_errno (error, errno, "cannot read source", src);
              break;
            }
        }
      else
        {
          buf = px_sum_pipe_buffer (pipe, &cap);
          n = (ssize_t) MIN ((gint64) cap, gen_left);
          fill_random (buf, (gsize) n, &rng);
          gen_left -= n;
        }
      if (n == 0)
        break;
      if (faults && faults->truncate_at >= 0 && (gint64) res->bytes + n > faults->truncate_at)
        n = (ssize_t) (faults->truncate_at - (gint64) res->bytes);
      if (faults && faults->corrupt && !corrupted && n > 0)
        {
          buf[n / 2] ^= 0x5a;
          corrupted = TRUE;
          g_string_append_printf (res->log, "null: corrupted byte %" G_GUINT64_FORMAT " in flight; ",
                                  res->bytes + (guint64) n / 2);
        }
      if (!write_all (out, buf, (gsize) n, dst, error))
        {
          ok = FALSE;
          break;
        }
      px_sum_pipe_commit (pipe, (gsize) n);
      res->bytes += (guint64) n;
      if (faults && faults->truncate_at >= 0 && (gint64) res->bytes >= faults->truncate_at)
        break;
    }
  px_sum_pipe_finish (pipe);
  if (in >= 0)
    close (in);
  if (ok && fdatasync (out) < 0)
    ok = fail_errno (error, errno, "cannot flush", dst);
  if (close (out) < 0 && ok)
    ok = fail_errno (error, errno, "cannot close", dst);
  if (!ok)
    {
      unlink (dst);
      return FALSE;
    }
  res->have_checksum = TRUE;
  res->checksum_source = "streamed";
  g_string_append_printf (res->log, "copied %" G_GUINT64_FORMAT " bytes", res->bytes);
  return TRUE;
}

static gboolean
local_path_or_fail (const char *pfn, char **path, GError **error)
{
  *path = px_transfer_local_path (pfn);
  if (!*path)
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' is not a local path", pfn);
      return FALSE;
    }
  return TRUE;
}

static gboolean
file_copy (const PxTransferRequest *req, PxTransferResult *res, GError **error)
{
  g_autofree char *src = NULL, *dst = NULL;
  if (!local_path_or_fail (req->source, &src, error) || !local_path_or_fail (req->destination, &dst, error))
    return FALSE;
  return copy_local (src, dst, req, res, error);
}

static gboolean
file_stat (const char *pfn, guint64 *bytes, GError **error)
{
  g_autofree char *path = NULL;
  if (!local_path_or_fail (pfn, &path, error))
    return FALSE;
  struct stat st;
  if (stat (path, &st) < 0)
    return fail_errno (error, errno, "cannot stat", path);
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_PERMANENT, "'%s' is not a regular file", path);
      return FALSE;
    }
  *bytes = (guint64) st.st_size;
  return TRUE;
}

static gboolean
file_remove (const char *pfn, GError **error)
{
  g_autofree char *path = NULL;
  if (!local_path_or_fail (pfn, &path, error))
    return FALSE;
  if (unlink (path) < 0 && errno != ENOENT)
    return fail_errno (error, errno, "cannot remove", path);
  return TRUE;
}

static gboolean
file_rename (const char *from, const char *to, GError **error)
{
  g_autofree char *a = NULL, *b = NULL;
  if (!local_path_or_fail (from, &a, error) || !local_path_or_fail (to, &b, error))
    return FALSE;
  if (rename (a, b) < 0)
    return fail_errno (error, errno, "cannot rename", a);
  return TRUE;
}

static gboolean
file_checksum (const char *pfn, PxChecksum *sum, const char **how, GError **error)
{
  g_autofree char *path = NULL, *why = NULL;
  if (!local_path_or_fail (pfn, &path, error))
    return FALSE;
  if (!px_checksum_file (path, sum, &why))
    {
      g_set_error (error, PX_TRANSFER_ERROR, PX_TRANSFER_ERROR_TRANSIENT, "%s", why);
      return FALSE;
    }
  if (how)
    *how = "read-back";
  return TRUE;
}

static const char *const file_schemes[] = { "file", "", NULL };

const PxTransferBackend px_transfer_file = {
  .name = "file",
  .schemes = file_schemes,
  .copy = file_copy,
  .stat = file_stat,
  .remove = file_remove,
  .rename = file_rename,
  .checksum = file_checksum,
};
