/* Test driver: runs pylic's rANS core (pylic/ps/rans.c) on inputs from a file, so the same inputs can be coded
 * by a cross-compiled binary (e.g. aarch64 under qemu) and the bytes compared with the host library's.
 * Input (little-endian): int64 n, int32 n_cdfs, int32 stride, int32 symbols[n], indexes[n],
 * cdfs[n_cdfs * stride], lengths[n_cdfs], offsets[n_cdfs].
 * Output: int64 nbytes, the encoded bytes, int32 decoded[n], int32 decode status. */
#include <stdio.h>
#include <stdlib.h>
#include "rans.c"

static void *read_n(FILE *f, size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p || fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "short input\n"); exit(2); }
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s in out\n", argv[0]); return 2; }
    FILE *in = fopen(argv[1], "rb");
    if (!in) return 2;
    int64_t n; int32_t n_cdfs, stride;
    if (fread(&n, 8, 1, in) != 1 || fread(&n_cdfs, 4, 1, in) != 1 || fread(&stride, 4, 1, in) != 1) return 2;
    int32_t *sym = read_n(in, 4 * (size_t)n), *idx = read_n(in, 4 * (size_t)n);
    int32_t *cdfs = read_n(in, 4 * (size_t)n_cdfs * stride), *len = read_n(in, 4 * (size_t)n_cdfs);
    int32_t *off = read_n(in, 4 * (size_t)n_cdfs);
    fclose(in);
    int64_t cap = 4 * (10 * n + 2);
    uint8_t *buf = malloc(cap);
    int64_t nbytes = pylic_rans_encode(sym, idx, n, cdfs, stride, len, off, n_cdfs, buf, cap);
    if (nbytes < 0) { fprintf(stderr, "encode failed %lld\n", (long long)nbytes); return 1; }
    int32_t *dec = calloc(n ? n : 1, 4);
    DecState s;
    int32_t rc = pylic_rans_dec_init(buf, nbytes, &s);
    if (rc == 0) rc = pylic_rans_decode(buf, nbytes, &s, idx, n, cdfs, stride, len, off, n_cdfs, dec);
    if (rc == 0) rc = pylic_rans_dec_finish(&s, nbytes);
    FILE *out = fopen(argv[2], "wb");
    if (!out) return 2;
    fwrite(&nbytes, 8, 1, out);
    fwrite(buf, 1, nbytes, out);
    fwrite(dec, 4, n, out);
    fwrite(&rc, 4, 1, out);
    fclose(out);
    return 0;
}
