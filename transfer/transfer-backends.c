/* transfer-backends.c — every backend, by URL scheme (transfer.h:
 * px_transfer_backends).  Alone in its file: a program that defines its own
 * table (the `phedex` launcher) never pulls this member of libphedex.a, nor
 * the gridftp and curl backends with it. */
#include "config.h"
#include "transfer.h"

const PxTransferBackend *const px_transfer_backends[] = {
  &px_transfer_file,
  &px_transfer_null,
  &px_transfer_gridftp,
  &px_transfer_curl,
  NULL,
};
