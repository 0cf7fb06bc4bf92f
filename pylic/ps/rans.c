/* pylic's rANS coder: exactly CompressAI's stream format (64-bit state, 32-bit words, 16-bit precision,
 * 4-bit bypass coding of values outside a CDF's range), written from its description so that every stream
 * CompressAI wrote decodes here and the bytes written here equal CompressAI's.
 *
 * Portable by construction: integer arithmetic only, words stored little-endian byte by byte (no
 * host-endian casts, no unaligned loads), no floating point, no undefined shifts. Decoding is bounds-checked:
 * a stream that would read past its end, asks for an impossible bypass length, or does not end in the
 * encoder's initial state with every word consumed is refused with an error code, never read past.
 *
 * Tables: `cdfs` is n_cdfs rows of `stride` int32 each, row r holding a strictly increasing CDF of
 * lengths[r] entries from 0 to 1 << 16 (validated by the Python wrapper before any call).
 * Compiled on demand by pylic/ps/rans_build.py; no Python API is used, so ctypes calls release the GIL.
 */
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PREC 16
#define RANS_L (1ull << 31)
#define BYPASS_BITS 4
#define BYPASS_MAX 15
#define MAX_BYPASS_CHUNKS 8   /* a 32-bit raw value needs at most 8 chunks of 4 bits */
#define MAX_MAGNITUDE (1 << 30)

enum {
    RANS_OK = 0,
    RANS_BAD_INDEX = -1,     /* a cdf index outside 0..n_cdfs-1 */
    RANS_BAD_VALUE = -2,     /* a symbol too far from its table to code (|value| > 2**30) */
    RANS_NO_SPACE = -3,      /* output capacity too small (a caller bug) */
    RANS_TRUNCATED = -4,     /* the decoder needed a word past the end of the stream */
    RANS_BAD_BYPASS = -5,    /* a bypass length no encoder writes */
    RANS_BAD_END = -6,       /* the stream did not end where its encoder ended (corrupt or trailing data) */
    RANS_BAD_LENGTH = -7     /* stream shorter than its 8-byte state or not a whole number of words */
};

static inline void put_word(uint8_t *p, uint32_t w) {
    p[0] = (uint8_t)w; p[1] = (uint8_t)(w >> 8); p[2] = (uint8_t)(w >> 16); p[3] = (uint8_t)(w >> 24);
}

static inline uint32_t get_word(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Encoder state; words are written backwards from `end`, never below `lo`. */
typedef struct { uint64_t x; uint8_t *ptr; uint8_t *lo; } Enc;

static inline int enc_put(Enc *e, uint32_t start, uint32_t freq) {
    uint64_t x = e->x;
    uint64_t x_max = ((RANS_L >> PREC) << 32) * freq;
    if (x >= x_max) {
        if (e->ptr - 4 < e->lo) return RANS_NO_SPACE;
        e->ptr -= 4;
        put_word(e->ptr, (uint32_t)x);
        x >>= 32;
    }
    e->x = ((x / freq) << PREC) + (x % freq) + start;
    return RANS_OK;
}

static inline int enc_bits(Enc *e, uint32_t val) {   /* BYPASS_BITS raw bits */
    uint64_t x = e->x;
    uint64_t x_max = ((RANS_L >> PREC) << 32) * (1u << (PREC - BYPASS_BITS));
    if (x >= x_max) {
        if (e->ptr - 4 < e->lo) return RANS_NO_SPACE;
        e->ptr -= 4;
        put_word(e->ptr, (uint32_t)x);
        x >>= 32;
    }
    e->x = (x << BYPASS_BITS) | val;
    return RANS_OK;
}

/* Symbols are coded last to first (rANS is a stack), each one's parts in reverse of their decode order:
 * raw-value chunks (last first), then the chunked bypass count (remainder first), then the CDF symbol. */
int64_t pylic_rans_encode(const int32_t *symbols, const int32_t *indexes, int64_t n, const int32_t *cdfs,
                          int32_t stride, const int32_t *lengths, const int32_t *offsets, int32_t n_cdfs,
                          uint8_t *out, int64_t capacity) {
    Enc e = {RANS_L, out + (capacity & ~(int64_t)3), out};
    for (int64_t i = n - 1; i >= 0; --i) {
        int32_t r = indexes[i];
        if (r < 0 || r >= n_cdfs) return RANS_BAD_INDEX;
        const int32_t *cdf = cdfs + (int64_t)r * stride;
        int32_t max_value = lengths[r] - 2;
        int64_t value = (int64_t)symbols[i] - offsets[r];
        if (value > MAX_MAGNITUDE || value < -MAX_MAGNITUDE) return RANS_BAD_VALUE;
        uint32_t raw = 0;
        int rc;
        if (value < 0) { raw = (uint32_t)(-2 * value - 1); value = max_value; }
        else if (value >= max_value) { raw = (uint32_t)(2 * (value - max_value)); value = max_value; }
        if (value == max_value) {
            int nb = 0;
            while (nb < MAX_BYPASS_CHUNKS && (raw >> (nb * BYPASS_BITS)) != 0) ++nb;
            for (int j = nb - 1; j >= 0; --j)
                if ((rc = enc_bits(&e, (raw >> (j * BYPASS_BITS)) & BYPASS_MAX)) != RANS_OK) return rc;
            if ((rc = enc_bits(&e, (uint32_t)(nb % BYPASS_MAX))) != RANS_OK) return rc;
            for (int k = nb / BYPASS_MAX; k > 0; --k)
                if ((rc = enc_bits(&e, BYPASS_MAX)) != RANS_OK) return rc;
        }
        uint32_t start = (uint32_t)cdf[value];
        if ((rc = enc_put(&e, start, (uint32_t)cdf[value + 1] - start)) != RANS_OK) return rc;
    }
    if (e.ptr - 8 < e.lo) return RANS_NO_SPACE;
    e.ptr -= 8;
    put_word(e.ptr, (uint32_t)e.x);
    put_word(e.ptr + 4, (uint32_t)(e.x >> 32));
    int64_t nbytes = (out + (capacity & ~(int64_t)3)) - e.ptr;
    memmove(out, e.ptr, (size_t)nbytes);
    return nbytes;
}

/* Decoder position: state and the byte offset of the next word. Kept by the caller between calls, so one
 * stream can carry z then y (the y tables depend on the decoded z). */
typedef struct { uint64_t x; int64_t pos; } DecState;

int pylic_rans_dec_init(const uint8_t *data, int64_t nbytes, DecState *s) {
    if (nbytes < 8 || (nbytes & 3)) return RANS_BAD_LENGTH;
    s->x = (uint64_t)get_word(data) | ((uint64_t)get_word(data + 4) << 32);
    s->pos = 8;
    return RANS_OK;
}

static inline int renorm(DecState *s, const uint8_t *data, int64_t nbytes) {
    if (s->x < RANS_L) {
        if (s->pos + 4 > nbytes) return RANS_TRUNCATED;
        s->x = (s->x << 32) | get_word(data + s->pos);
        s->pos += 4;
    }
    return RANS_OK;
}

static inline int dec_bits(DecState *s, const uint8_t *data, int64_t nbytes, uint32_t *val) {
    *val = (uint32_t)(s->x & BYPASS_MAX);
    s->x >>= BYPASS_BITS;
    return renorm(s, data, nbytes);
}

int pylic_rans_decode(const uint8_t *data, int64_t nbytes, DecState *s, const int32_t *indexes, int64_t n,
                      const int32_t *cdfs, int32_t stride, const int32_t *lengths, const int32_t *offsets,
                      int32_t n_cdfs, int32_t *out) {
    for (int64_t i = 0; i < n; ++i) {
        int32_t r = indexes[i];
        if (r < 0 || r >= n_cdfs) return RANS_BAD_INDEX;
        const int32_t *cdf = cdfs + (int64_t)r * stride;
        int32_t len = lengths[r], max_value = len - 2;
        int32_t cum = (int32_t)(s->x & ((1u << PREC) - 1));
        int32_t lo = 0, hi = len - 1;         /* cdf[lo] <= cum < cdf[hi] */
        while (hi - lo > 1) {
            int32_t mid = (lo + hi) >> 1;
            if (cdf[mid] <= cum) lo = mid; else hi = mid;
        }
        uint32_t start = (uint32_t)cdf[lo], freq = (uint32_t)cdf[lo + 1] - start;
        s->x = freq * (s->x >> PREC) + (s->x & ((1u << PREC) - 1)) - start;
        int rc = renorm(s, data, nbytes);
        if (rc != RANS_OK) return rc;
        int32_t value = lo;
        if (value == max_value) {
            uint32_t v;
            if ((rc = dec_bits(s, data, nbytes, &v)) != RANS_OK) return rc;
            int32_t nb = (int32_t)v;
            while (v == BYPASS_MAX) {
                if ((rc = dec_bits(s, data, nbytes, &v)) != RANS_OK) return rc;
                nb += (int32_t)v;
                if (nb > MAX_BYPASS_CHUNKS) return RANS_BAD_BYPASS;
            }
            if (nb > MAX_BYPASS_CHUNKS) return RANS_BAD_BYPASS;
            uint32_t raw = 0;
            for (int32_t j = 0; j < nb; ++j) {
                if ((rc = dec_bits(s, data, nbytes, &v)) != RANS_OK) return rc;
                raw |= v << (j * BYPASS_BITS);
            }
            if (raw > 2u * MAX_MAGNITUDE) return RANS_BAD_BYPASS;
            value = (int32_t)(raw >> 1);
            value = (raw & 1) ? -value - 1 : value + max_value;
        }
        out[i] = value + offsets[r];
    }
    return RANS_OK;
}

int pylic_rans_dec_finish(const DecState *s, int64_t nbytes) {
    return (s->x == RANS_L && s->pos == nbytes) ? RANS_OK : RANS_BAD_END;
}

#ifdef __cplusplus
}
#endif
