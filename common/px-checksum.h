/* px-checksum.h — checksums computed while bytes stream (adler32 and the
 * POSIX cksum CRC through ISA-L's SIMD code, equal to zlib's and cksum(1)'s),
 * in the CMS form "adler32:1a2b3c4d,cksum:123456789". */
#pragma once

#include <glib.h>

typedef enum
{
  PX_CHECKSUM_ADLER32 = 1 << 0,
  PX_CHECKSUM_CKSUM = 1 << 1,
} PxChecksumAlgos;

typedef struct
{
  guint algos;     /* PxChecksumAlgos present (a server's CKSM gives adler32 only) */
  guint32 adler;
  guint32 crc;     /* POSIX cksum CRC, before the length is folded in */
  guint64 bytes;
} PxChecksum;

/* Fold LEN bytes into ADLER (1 for no bytes yet): zlib's adler32, computed
 * with ISA-L's isal_adler32 (SIMD). */
guint32 px_adler32 (guint32 adler, const void *data, gsize len);
/* The adler32 of A's bytes followed by B's (B_LEN bytes): zlib's
 * adler32_combine. */
guint32 px_adler32_combine (guint32 a, guint32 b, guint64 b_len);

/* Start a streamed checksum computing adler32 and cksum. */
void px_checksum_init (PxChecksum *c);
/* A checksum known only as an adler32 value (e.g. from GridFTP CKSM). */
void px_checksum_set_adler32 (PxChecksum *c, guint32 adler, guint64 bytes);
void px_checksum_update (PxChecksum *c, const void *data, gsize len);
/* "adler32:xxxxxxxx,cksum:N", only the algorithms present (newly allocated). */
char *px_checksum_format (const PxChecksum *c);
guint32 px_checksum_cksum (const PxChecksum *c);

/* Normalise a checksum string from input ("ADLER32:1A2B3C4D", "adler32:abc")
 * to the canonical form (8 lowercase hex digits, adler32 first).  NULL with
 * an error message in *why when it is not valid or has no adler32. */
char *px_checksum_normalise (const char *in, char **why);
/* Compare WANT (catalogue) and GOT (observed): every algorithm present in
 * both must agree, and they must share at least adler32.  On mismatch FALSE
 * and *why says what differed. */
gboolean px_checksum_matches (const char *want, const char *got, char **why);

/* Read PATH through px_checksum_update; FALSE with errno text in *why. */
gboolean px_checksum_file (const char *path, PxChecksum *c, char **why);
